"""Telegram itself failing: flood control (429 with retry_after) and server errors."""

from __future__ import annotations

from bot import texts
from tests.conftest import Stack


def _ok(stack: Stack, method: str) -> int:
    return sum(1 for call in stack.emulator.calls_to(method) if call.ok)


async def test_flood_control_is_waited_out_and_the_photo_sent_once(stack: Stack) -> None:
    stack.emulator.inject_fault("sendPhoto", status=429, retry_after=1)
    stack.emulator.inject_fault("sendMessage", status=429, retry_after=1)
    user = stack.emulator.user(3001, "Flo")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a busy fox"))

    attempts = stack.emulator.calls_to("sendPhoto")
    assert [call.error_code for call in attempts] == [429, None]
    assert _ok(stack, "sendPhoto") == 1
    assert attempts[1].params["caption"] == "a busy fox"
    statuses = [c for c in stack.emulator.calls_to("sendMessage") if c.ok]
    assert [c.params["text"] for c in statuses] == [texts.text("status_generating")]
    assert stack.emulator.calls_to("editMessageText") == []  # no failure was reported


async def test_a_server_error_on_sending_tells_the_user_and_sends_nothing_twice(
    stack: Stack,
) -> None:
    stack.emulator.inject_fault("sendPhoto", status=500)
    user = stack.emulator.user(3002, "Ser")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fragile fox"))

    # A 5xx may or may not have been carried out: never re-sent, the user is told.
    assert [call.error_code for call in stack.emulator.calls_to("sendPhoto")] == [500]
    told = [c.params["text"] for c in stack.emulator.calls_to("editMessageText") if c.ok]
    assert len(told) == 1
    assert told[0] != texts.text("status_generating")
