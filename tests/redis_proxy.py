"""A TCP proxy in front of a real redis-server that can lose or hold back one reply.

``lose_reply_to(marker)``: the first command whose bytes contain the marker goes on to
Redis, then that client connection is cut instead of relaying Redis's answer: the command
was carried out and the client never hears so, as when a connection drops at the wrong
moment. ``delay_reply_with(marker, hold_s)``: the first reply whose bytes contain the
marker reaches the client ``hold_s`` seconds late (``holding`` is set meanwhile), as on a
slow link. Everything else passes through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

CHUNK = 65536


class RedisLink:
    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._lose_marker: bytes | None = None
        self._delay: tuple[bytes, float] | None = None
        self.dropped: list[bytes] = []  # the commands whose answers were lost
        self.holding = asyncio.Event()  # a reply is being held back
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def lose_reply_to(self, marker: bytes) -> None:
        self._lose_marker = marker

    def delay_reply_with(self, marker: bytes, hold_s: float) -> None:
        self._delay = (marker, hold_s)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[RedisLink]:
        server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()

    async def _connected(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            redis_in, redis_out = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:  # Redis is not there: neither is the link
            client_out.close()
            return
        cut = asyncio.Event()

        async def to_redis() -> None:
            while chunk := await client_in.read(CHUNK):
                if self._lose_marker is not None and self._lose_marker in chunk:
                    self._lose_marker = None
                    self.dropped.append(chunk)
                    cut.set()
                redis_out.write(chunk)
                await redis_out.drain()

        async def to_client() -> None:
            while chunk := await redis_in.read(CHUNK):
                if cut.is_set():  # the answer to the marked command: lost with the link
                    return
                if self._delay is not None and self._delay[0] in chunk:
                    hold_s, self._delay = self._delay[1], None
                    self.holding.set()
                    try:
                        await asyncio.sleep(hold_s)
                    finally:  # also when the client gives up and the link closes
                        self.holding.clear()
                client_out.write(chunk)
                await client_out.drain()

        pumps = [asyncio.create_task(to_redis()), asyncio.create_task(to_client())]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            # A side that went away mid-write ends its pump with an error: that is the
            # link closing, nothing to report.
            await asyncio.gather(*pumps, return_exceptions=True)
            for writer in (client_out, redis_out):
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
