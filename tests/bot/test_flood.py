"""One chat under Telegram's flood control never slows the others: a chat's updates take
turns (one shared handling slot at most), and what waits behind is bounded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.conftest import Stack

FLOOD_S = 4.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Few shared slots, so that a flooding chat could fill them all; a short backlog.
    return {"max_concurrent_updates": 3, "max_waiting_per_chat": 5, "telegram_flood_retries": 5}


async def _photo_for(stack: Stack, chat_id: int, timeout_s: float) -> float:
    """Seconds until a photo reached ``chat_id``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if any(c.params["chat_id"] == chat_id for c in stack.emulator.calls_to("sendPhoto")):
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"no photo for chat {chat_id} within {timeout_s} s")


async def test_a_flooded_chat_does_not_delay_another_chats_generate(stack: Stack) -> None:
    flooder = stack.emulator.user(9101, "Flo")
    flooded = stack.emulator.private_chat(flooder)
    other = stack.emulator.user(9102, "Oli")
    other_chat = stack.emulator.private_chat(other)
    stack.emulator.flood_chat(flooded["id"], FLOOD_S)

    for _ in range(5):  # each answer waits out the flood control: more than the slots
        response = await stack.post(stack.emulator.user_message(flooded, flooder, text="/help"))
        assert response.status_code == 200
    await asyncio.sleep(0.3)  # the flooder's updates are being handled (and waiting)
    await stack.post(stack.emulator.user_message(other_chat, other, text="/generate a boat"))

    waited = await _photo_for(stack, other_chat["id"], FLOOD_S * 3)
    assert waited < FLOOD_S / 2, f"another chat waited {waited:.1f} s behind the flood"
    await stack.runtime.wait_idle()
    helps = [
        c for c in stack.emulator.calls_to("sendMessage") if c.params["chat_id"] == flooded["id"]
    ]
    assert sum(1 for c in helps if c.ok) == 5  # deferred, not lost


async def test_what_waits_behind_a_flooded_chat_is_bounded(stack: Stack) -> None:
    flooder = stack.emulator.user(9103, "Flo")
    flooded = stack.emulator.private_chat(flooder)
    stack.emulator.flood_chat(flooded["id"], FLOOD_S)
    for _ in range(12):
        await stack.post(stack.emulator.user_message(flooded, flooder, text="/help"))
    await stack.runtime.wait_idle()
    answered = [
        c
        for c in stack.emulator.calls_to("sendMessage")
        if c.params["chat_id"] == flooded["id"] and c.ok
    ]
    assert len(answered) == 6  # one handled, five waiting; the rest dropped
