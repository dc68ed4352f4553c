"""The in-process server: idle connections kept past a client's own idle limit; slow or
silent clients and too many connections bounded."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from orchestrator.serving.body_limit import BodySizeLimit
from orchestrator.serving.server import bounded_server_options, serve_in_background

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


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when the server closes the connection within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await reader.read() == b""
    except TimeoutError:
        return False


async def _read_body(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{len(await request.body())} bytes")


async def test_a_request_must_arrive_whole_within_the_receive_timeout() -> None:
    app = Starlette(routes=[Route("/", _ok), Route("/upload", _read_body, methods=["POST"])])
    app.add_middleware(BodySizeLimit, max_bytes=1024)  # as the orchestrator's app has
    options = bounded_server_options(receive_timeout_s=0.5, max_connections=50)
    async with serve_in_background(app, **options) as url:
        host, port = url.removeprefix("http://").split(":")
        silent = await asyncio.open_connection(host, int(port))  # connects, sends nothing
        half = await asyncio.open_connection(host, int(port))
        half[1].write(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n")
        body = await asyncio.open_connection(host, int(port))
        body[1].write(b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123")
        try:
            for reader in (silent[0], half[0], body[0]):
                assert await _closed_within(reader, 3.0)
            kept = await asyncio.open_connection(host, int(port))
            # A whole request is answered, and its kept-alive connection serves another
            # one later: each request gets its own time to arrive.
            assert await _get(*kept) == b"ok"
            await asyncio.sleep(0.7)
            assert await _get(*kept) == b"ok"
            kept[1].close()
        finally:
            for _, writer in (silent, half, body):
                writer.close()


async def test_connections_beyond_the_limit_are_answered_503() -> None:
    app = Starlette(routes=[Route("/", _ok)])
    options = bounded_server_options(receive_timeout_s=5.0, max_connections=10)
    async with serve_in_background(app, **options) as url:
        host, port = url.removeprefix("http://").split(":")
        held = [await asyncio.open_connection(host, int(port)) for _ in range(10)]
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503")
        finally:
            writer.close()
            for _, other in held:
                other.close()
