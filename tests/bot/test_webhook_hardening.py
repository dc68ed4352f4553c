"""Hostile and random input at the webhook: never a 5xx, never an unhandled error, the
process stays up, memory stays bounded."""

from __future__ import annotations

import gc
import json
import logging
import random
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog

from devtools.emulator import BotApiEmulator
from orchestrator.serving.logs import configure_logging, remove_logging_handler
from tests.conftest import BOT_USERNAME, WEBHOOK_SECRET, Stack
from tests.fuzz_updates import UpdateFuzzer, messages_in


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """JSON logs to the captured stderr. The handler resolves sys.stderr when it is made,
    and pytest swaps the capture stream between set-up and the test, so the test body
    calls ``json_logs_on()``; this fixture only cleans up."""
    level = logging.getLogger().level
    yield capsys
    remove_logging_handler()
    logging.getLogger().setLevel(level)
    structlog.reset_defaults()


def json_logs_on() -> None:
    configure_logging("INFO", json=True)


def _errors_logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == [], "\n".join(not_json)  # e.g. a traceback printed around the logger
    entries = [json.loads(line) for line in lines]
    return [entry for entry in entries if entry.get("level") in {"error", "critical"}]


def _ingest(emulator: BotApiEmulator, update: dict[str, Any]) -> None:
    """Make the emulator know the chats and messages a generated update refers to, as the
    real Telegram would (the bot may reply to them)."""
    for message in messages_in(update):
        chat = message["chat"]
        if isinstance(chat.get("id"), int):
            emulator.store.add_chat(chat)
            emulator.store.chat_messages[chat["id"]][message["message_id"]] = message


async def _post_fuzz(stack: Stack, fuzzer: UpdateFuzzer, first_id: int, count: int) -> None:
    for update_id in range(first_id, first_id + count):
        update = fuzzer.update(update_id)
        _ingest(stack.emulator, update)
        # json.dumps escapes lone surrogates (valid JSON) where httpx's encoder would fail.
        response = await stack.post(json.dumps(update).encode())
        assert response.status_code == 200, (response.status_code, update)
    await stack.runtime.wait_idle()


async def test_random_valid_updates_of_every_kind(
    stack: Stack, full_spec: dict[str, Any], json_logs: pytest.CaptureFixture[str]
) -> None:
    json_logs_on()
    fuzzer = UpdateFuzzer(full_spec, random.Random(20261123), BOT_USERNAME)
    await _post_fuzz(stack, fuzzer, 1, 150)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await _post_fuzz(stack, fuzzer, 1000, 150)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 8 * 2**20, f"memory grew by {grown} bytes over 150 updates"
    assert _errors_logged(json_logs) == []

    # Still up and still working.
    assert (await stack.http.get(f"{stack.url}/health")).status_code == 200
    user = stack.emulator.user(77, "After")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate still alive"))
    assert stack.emulator.calls_to("sendPhoto")[-1].params["caption"] == "still alive"


def _deep(depth: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"update_id": "1", "message": {}}', 400),  # wrong type
        (b'{"message": {"text": "/generate x"}}', 400),  # missing update_id
        (_deep(100_000), 400),  # deeper than the JSON parser recurses
        (b'{"update_id": 5, "message": {"text": "/generate x"}}', 200),  # missing chat etc.
        (b'{"update_id": 6, "message": {"message_id": "x", "chat": 5}}', 200),
        (json.dumps({"update_id": 7, "message": {"text": "x" * 900_000}}).encode(), 200),
    ],
)
async def test_invalid_updates_never_5xx(
    stack: Stack, body: bytes, status: int, json_logs: pytest.CaptureFixture[str]
) -> None:
    json_logs_on()
    response = await stack.post(body)
    await stack.runtime.wait_idle()
    assert response.status_code == status
    assert _errors_logged(json_logs) == []
    assert [c.method for c in stack.emulator.calls if c.method != "getMe"] == []


async def test_oversized_bodies_get_413_on_every_post_route(stack: Stack) -> None:
    five_mb = b"{" + b" " * (5 * 2**20) + b"}"
    response = await stack.post(five_mb)
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(6):
            yield b" " * 2**20

    streamed = await stack.http.post(
        f"{stack.url}/telegram/webhook",
        content=chunks(),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert streamed.status_code == 413
    assert (await stack.http.post(f"{stack.url}/anything", content=five_mb)).status_code == 413
    assert (await stack.http.get(f"{stack.url}/health")).status_code == 200


async def test_the_webhook_takes_only_posts_with_its_secret(stack: Stack) -> None:
    """Served ahead of FastAPI's routing: its own answers for a wrong method or secret."""
    url = f"{stack.url}/telegram/webhook"
    update = {"update_id": 9, "message": {"text": "/generate x"}}
    got = await stack.http.get(url, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert (got.status_code, got.headers["allow"]) == (405, "POST")
    for secret in ("wrong", WEBHOOK_SECRET + "x", ""):
        refused = await stack.http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        assert refused.status_code == 403
    assert (await stack.http.post(url, json=update)).status_code == 403  # no header at all
    await stack.runtime.wait_idle()
    assert [c.method for c in stack.emulator.calls if c.method != "getMe"] == []
    assert (await stack.post(json.dumps(update).encode())).status_code == 200
