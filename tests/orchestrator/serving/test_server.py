"""The in-process server keeps an idle connection open past a client's own idle limit."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from orchestrator.serving.server import serve_in_background

HTTPX_IDLE_LIMIT_S = 5.0  # httpx's default keepalive_expiry (and uvicorn's own default)


async def _ok(_request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return await reader.readexactly(length)


async def test_an_idle_connection_outlives_the_clients_idle_limit() -> None:
    app = Starlette(routes=[Route("/", _ok)])
    async with serve_in_background(app) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            assert await _get(reader, writer) == b"ok"
            # A client that reuses the connection just before its own limit must find it
            # open: the server closing at the same moment is the race this avoids.
            await asyncio.sleep(HTTPX_IDLE_LIMIT_S + 0.5)
            assert await _get(reader, writer) == b"ok"
        finally:
            writer.close()
            await writer.wait_closed()
