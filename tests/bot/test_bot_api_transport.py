"""The Bot API's transport (``bot.sending.transport``): aiohttp under httpx, against real
local sockets. What callers act on is whether a failed request may have reached the
server (``fulmine.errors.request_never_left``): each way of failing is mapped to the
httpx error that says so, and no message quotes the URL (it holds the bot's token)."""

from __future__ import annotations

import asyncio
import gzip
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.sending.transport import AiohttpTransport
from fulmine.errors import request_never_left
from tests.redis_server import free_port

TOKEN = "123:SECRET-TOKEN"
Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


async def _serving(handle: Serve) -> AsyncIterator[str]:
    """A raw HTTP server answering each connection with ``handle``; the URL of a call."""
    handlers: set[asyncio.Task[None]] = set()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(task := asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handle(reader, writer)
        finally:
            writer.close()
            handlers.discard(task)  # type: ignore[arg-type]

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"
        for task in list(handlers):  # a handler still holding its answer
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = AiohttpTransport(max_connections=1)
    timeout = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=0.2)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        yield http


async def test_a_request_and_its_answer_go_through_whole(client: httpx.AsyncClient) -> None:
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        body = gzip.compress(b'{"ok":true,"result":42}')
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()
        writer.close()

    async for url in _serving(answer):
        response = await client.post(url, data={"chat_id": "7"}, files={"photo": b"\x89PNG"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "result": 42}  # decoded from its gzip
    head, _, body = seen[0].partition(b"\r\n\r\n")
    assert head.startswith(f"POST /bot{TOKEN}/sendMessage HTTP/1.1".encode())
    assert b"multipart/form-data; boundary=" in head
    assert b'name="chat_id"\r\n\r\n7\r\n' in body
    assert b"\x89PNG" in body


def _told(error: BaseException) -> str:
    """Everything a traceback of the error would print, its causes included."""
    return "".join(traceback.format_exception(error))


async def test_a_refused_connection_never_left() -> None:
    url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/sendMessage"
    async with httpx.AsyncClient(transport=AiohttpTransport(max_connections=4)) as http:
        with pytest.raises(httpx.ConnectError) as caught:
            await http.post(url, json={"text": "hi"})
    assert request_never_left(caught.value)
    assert "SECRET" not in _told(caught.value)


async def test_a_large_upload_goes_whole(client: httpx.AsyncClient) -> None:
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()

    photo = bytes(range(256)) * (8 * 1024)  # 2 MiB
    async for url in _serving(answer):
        response = await client.post(url, data={"chat_id": "7"}, files={"photo": photo})
    assert response.status_code == 200
    assert photo in seen[0]


async def test_a_connection_dropped_after_the_request_may_have_been_carried_out(
    client: httpx.AsyncClient,
) -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    async for url in _serving(drop):
        with pytest.raises(httpx.ReadError) as caught:
            await client.post(url, json={"text": "hi"})
    assert not request_never_left(caught.value)
    assert "SECRET" not in _told(caught.value)


async def test_an_upload_the_server_stops_reading_may_have_been_carried_out() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the head, then nothing more is read
        await asyncio.sleep(5)

    timeout = httpx.Timeout(connect=0.2, read=0.2, write=0.2, pool=0.2)
    transport = AiohttpTransport(max_connections=1)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        async for url in _serving(stall):
            with pytest.raises(httpx.TimeoutException) as caught:
                await http.post(url, content=b"x" * (16 * 2**20))
    assert not request_never_left(caught.value)
    assert "SECRET" not in _told(caught.value)


async def test_no_answer_within_the_read_timeout_may_have_been_carried_out(
    client: httpx.AsyncClient,
) -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(2)
        writer.close()

    async for url in _serving(hold):
        with pytest.raises(httpx.ReadTimeout) as caught:
            await client.post(url, json={"text": "hi"})
    assert not request_never_left(caught.value)


async def test_waiting_past_the_pool_timeout_for_a_connection_never_left() -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(1.0)  # the one connection busy past the second's wait
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    # Waiting for a connection and making one: 0.1 + 0.1 s.
    timeout = httpx.Timeout(connect=0.1, read=3.0, write=1.0, pool=0.1)
    transport = AiohttpTransport(max_connections=1)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        async for url in _serving(hold):
            first = asyncio.create_task(http.post(url, json={"n": 1}))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.ConnectTimeout) as caught:
                await http.post(url, json={"n": 2})
            assert (await first).status_code == 200
    assert request_never_left(caught.value)
    assert "SECRET" not in _told(caught.value)


async def test_a_closed_transport_opens_again_on_the_next_request() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    transport = AiohttpTransport(max_connections=2)
    async for url in _serving(answer):
        for _ in range(2):  # python-telegram-bot's initialize after a shutdown
            async with httpx.AsyncClient(transport=transport) as http:
                assert (await http.get(url)).status_code == 200
