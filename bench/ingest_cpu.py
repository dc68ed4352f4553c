"""Bench 1b, webhook ingest CPU per request, without the HTTP server: the ASGI apps of
``bench.ingest_app`` called directly in this process (the same requests wrk sends), so
that the figure is the app's own work, free of the loopback and the server's parsing
(which are the same for both apps) and far less noisy on a shared machine."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message

from bench.ingest_app import IdleFrontend, bare_app
from bench.support import WEBHOOK_SECRET, bench_settings, emit, register_bench_providers
from orchestrator.app import create_app

REQUESTS = int(os.environ.get("BENCH_INGEST_CPU_REQUESTS", "20000"))


def _body(update_id: int) -> bytes:
    message = {
        "message_id": update_id,
        "date": 1700000000,
        "chat": {"id": 1001, "type": "private", "first_name": "Ada"},
        "from": {"id": 1001, "is_bot": False, "first_name": "Ada"},
        "text": "/generate a red fox",
        "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def _post(app: ASGIApp, body: bytes) -> int:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/telegram/webhook",
        "raw_path": b"/telegram/webhook",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-telegram-bot-api-secret-token", WEBHOOK_SECRET.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _cpu_per_request(app: ASGIApp, first_id: int) -> float:
    bodies = [_body(first_id + i) for i in range(REQUESTS)]
    for body in bodies[:500]:  # warm-up
        await _post(app, body)
    started = time.process_time()
    for body in bodies[500:]:
        if await _post(app, body) != 200:
            raise SystemExit("a request was not acknowledged")
        await asyncio.sleep(0)  # let the background task of the update run
    return (time.process_time() - started) / (len(bodies) - 500) * 1e6


async def main() -> None:
    register_bench_providers()
    gc.collect()
    bare = await _cpu_per_request(bare_app(), 0)
    app = create_app(bench_settings("http://127.0.0.1:9"), IdleFrontend)
    await app.state.runtime.start()
    try:
        ours = await _cpu_per_request(app, 10_000_000)
    finally:
        await app.state.runtime.stop()
    print(f"bare: {bare:.0f} us CPU per request; fulmine: {ours:.0f} us")
    emit({"bare_us": bare, "fulmine_us": ours})


if __name__ == "__main__":
    asyncio.run(main())
