"""Run an ASGI app with uvicorn inside the current event loop, on a socket bound up front.

Binding first means port 0 works (the kernel picks a free port) and the caller knows the
address before the server accepts its first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

# How long an idle keep-alive connection is kept open. httpx (and so python-telegram-bot
# and the provider clients) drops its idle connections after 5 s, uvicorn's own default:
# a server that closes at the same moment races a client that has just sent a request on
# that connection, which then fails with a read error. The server waits well past the
# client (as a server behind a load balancer should outlast the balancer's idle timeout).
KEEP_ALIVE_S = 75


class _BoundedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for receiving each request whole.

    uvicorn times out only an idle keep-alive connection: a client that connects and
    sends nothing, or half a request, holds its connection (and its memory) for ever.
    Here each request, from the first byte or the connection's opening, must arrive in
    full within ``receive_timeout_s``; otherwise the connection is closed.
    """

    receive_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._receiving: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._receiving is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self._disarm()  # received whole (or given up on by h11)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._receiving = self.loop.call_later(self.receive_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_receiving", None) is not None:
            self._receiving.cancel()  # type: ignore[union-attr]
            self._receiving = None

    def _too_slow(self) -> None:
        self._receiving = None
        if not self.transport.is_closing():
            self.transport.close()


def bounded_server_options(receive_timeout_s: float, max_connections: int) -> dict[str, Any]:
    """uvicorn options that bound what clients can hold: each request received within
    ``receive_timeout_s``, at most ``max_connections`` connections and requests at once
    (503 beyond), idle keep-alive connections closed after ``KEEP_ALIVE_S``."""
    protocol = type("BoundedH11", (_BoundedH11,), {"receive_timeout_s": receive_timeout_s})
    return {
        "http": protocol,
        "limit_concurrency": max_connections,
        "timeout_keep_alive": KEEP_ALIVE_S,
    }


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serve_in_background(
    app: Any, host: str = "127.0.0.1", port: int = 0, **config: Any
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields its base URL (``http://host:port``).

    The app's lifespan runs before the block is entered and after it is left, so a
    failing start-up raises here instead of leaving a half-started server behind.
    """
    sock = bind_socket(host, port)
    config.setdefault("timeout_keep_alive", KEEP_ALIVE_S)
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", **config)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise the start-up failure
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.005)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
