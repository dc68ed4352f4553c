"""Telegram itself failing: flood control (429 with retry_after), server errors and calls
that time out (carried out, the answer lost: the emulator's ``status="timeout"`` fault).

What the bot does about each (bot/sending/bot_api_request.py, bot/sending/delivery.py): a
429 is waited out and retried; a call safe to repeat (chat action, edit, delete, reads) is
retried after a timeout or a 5xx; a send whose answer was lost is never repeated (one that
never left is): the job fails as ``DeliveryUncertain``, its reservation released, and the
user is told the image may still show up."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import telegram

from bot import texts
from bot.sending.bot_api_request import RetryingRequest
from devtools.emulator import BotApiEmulator
from orchestrator.serving.server import serve_in_background
from state.models import Balance
from tests.conftest import BOT_TOKEN, Stack
from tests.redis_server import free_port

# Every call that is not faulted must answer within it, on a loaded machine too.
READ_TIMEOUT_S = 2.0
FAST_TIMEOUTS = {
    "telegram_read_timeout_s": READ_TIMEOUT_S,
    "telegram_retry_backoff_s": 0.05,
}
PRICE = 100
PAID = {"payments_backend": "fake", "price_generate_sats": PRICE}
UNCERTAIN = texts.text("failed_delivery_uncertain")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(FAST_TIMEOUTS)


def _ok(stack: Stack, method: str) -> int:
    return sum(1 for call in stack.emulator.calls_to(method) if call.ok)


def _told(stack: Stack) -> list[str]:
    """Every text the bot put in front of the user after the status: edits and messages."""
    edits = [str(c.params["text"]) for c in stack.emulator.calls_to("editMessageText") if c.ok]
    sent = [str(c.params["text"]) for c in stack.emulator.calls_to("sendMessage") if c.ok]
    return edits + [text for text in sent if text != texts.text("status_accepted")]


def _person(stack: Stack, user_id: int, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(user_id, name)
    return user, stack.emulator.private_chat(user)


async def test_flood_control_is_waited_out_and_the_photo_sent_once(stack: Stack) -> None:
    stack.emulator.inject_fault("sendPhoto", status=429, retry_after=1)
    stack.emulator.inject_fault("sendMessage", status=429, retry_after=1)
    user, chat = _person(stack, 3001, "Flo")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a busy fox"))

    attempts = stack.emulator.calls_to("sendPhoto")
    assert [call.error_code for call in attempts] == [429, None]
    assert _ok(stack, "sendPhoto") == 1
    assert attempts[1].params["caption"] == "a busy fox"
    statuses = [c for c in stack.emulator.calls_to("sendMessage") if c.ok]
    assert [c.params["text"] for c in statuses] == [texts.text("status_accepted")]
    assert stack.emulator.calls_to("editMessageText") == []  # no failure was reported


async def test_a_server_error_on_sending_tells_the_user_and_sends_nothing_twice(
    stack: Stack,
) -> None:
    stack.emulator.inject_fault("sendPhoto", status=500)
    user, chat = _person(stack, 3002, "Ser")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fragile fox"))

    # A 5xx may or may not have been carried out: never re-sent, the user is told.
    assert [call.error_code for call in stack.emulator.calls_to("sendPhoto")] == [500]
    assert _told(stack) == [UNCERTAIN]


# Timeouts ---------------------------------------------------------------------------------


async def test_a_timed_out_photo_is_never_sent_again_and_the_user_is_told(stack: Stack) -> None:
    stack.emulator.inject_fault("sendPhoto", status="timeout")
    user, chat = _person(stack, 3003, "Tim")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a slow fox"))

    (photo,) = stack.emulator.calls_to("sendPhoto")  # carried out, its answer never came
    assert photo.ok
    assert not photo.answered
    assert [m for m in stack.emulator.messages(chat["id"]) if "photo" in m] != []
    assert _told(stack) == [UNCERTAIN]  # in the status message, once
    job = await stack.runtime.store.get_job(_job_id(stack))
    assert job is not None
    assert (job.status, job.error) == ("failed", "DeliveryUncertain")


async def test_a_timed_out_album_is_never_sent_again(stack: Stack) -> None:
    stack.emulator.inject_fault("sendMediaGroup", status="timeout")
    user, chat = _person(stack, 3004, "Alba")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate two foxes --n 2"))

    assert [c.answered for c in stack.emulator.calls_to("sendMediaGroup")] == [False]
    assert _told(stack) == [UNCERTAIN]  # and no buttons message for an uncertain album


@pytest.mark.parametrize("settings_overrides", [FAST_TIMEOUTS | PAID])
async def test_a_timed_out_paid_photo_is_released_once_and_never_charged(stack: Stack) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    user, chat = _person(stack, 3005, "Pay")
    await payments.ledger.credit(user["id"], "test-topup", 2 * PRICE)
    stack.emulator.inject_fault("sendPhoto", status="timeout")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a paid fox"))

    assert _told(stack) == [UNCERTAIN]  # which says "You were not charged" itself
    assert await payments.balance(user["id"]) == Balance(2 * PRICE, 0)

    # The next request goes through and is charged once.
    await stack.send(stack.emulator.user_message(chat, user, text="/generate another fox"))
    assert [c.answered for c in stack.emulator.calls_to("sendPhoto")] == [False, True]
    assert await payments.balance(user["id"]) == Balance(PRICE, 0)


async def test_a_timed_out_status_message_does_not_stop_the_job(stack: Stack) -> None:
    stack.emulator.inject_fault("sendMessage", status="timeout")
    user, chat = _person(stack, 3006, "Stan")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a patient fox"))

    # The status message went out but the bot never learnt its id: the job goes on regardless.
    assert [c.answered for c in stack.emulator.calls_to("sendMessage")] == [False]
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.ok
    assert photo.params["caption"] == "a patient fox"
    assert stack.emulator.calls_to("deleteMessage") == []  # it had no status id to delete


async def test_a_text_answer_lost_to_a_server_error_is_sent_again(stack: Stack) -> None:
    stack.emulator.inject_fault("sendMessage", status=500)
    user, chat = _person(stack, 3012, "Hal")
    await stack.send(stack.emulator.user_message(chat, user, text="/help"))

    # Better twice than never for plain words: the user is not left without an answer.
    attempts = stack.emulator.calls_to("sendMessage")
    assert [call.error_code for call in attempts] == [500, None]
    assert attempts[1].params["text"].startswith(texts.text("help", max_chars=1).split("\n")[0])


async def test_a_text_answer_that_timed_out_is_sent_again(stack: Stack) -> None:
    stack.emulator.inject_fault("sendMessage", status="timeout")
    user, chat = _person(stack, 3013, "Tim")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate"))

    # The first one arrived (its answer was lost), so this user reads the usage twice.
    attempts = stack.emulator.calls_to("sendMessage")
    assert [call.answered for call in attempts] == [False, True]
    assert attempts[0].params["text"] == attempts[1].params["text"]
    assert stack.emulator.calls_to("sendPhoto") == []


async def test_removing_the_status_is_retried_after_a_server_error(stack: Stack) -> None:
    stack.emulator.inject_fault("deleteMessage", status=502)
    user, chat = _person(stack, 3007, "Del")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a tidy fox"))

    assert [c.error_code for c in stack.emulator.calls_to("deleteMessage")] == [502, None]
    assert [m.get("text") for m in stack.emulator.messages(chat["id"])].count(
        texts.text("status_accepted")
    ) == 0
    assert _ok(stack, "sendPhoto") == 1
    assert _told(stack) == []


async def test_a_timed_out_delete_is_retried_and_its_repeat_is_harmless(stack: Stack) -> None:
    stack.emulator.inject_fault("deleteMessage", status="timeout")
    user, chat = _person(stack, 3008, "Dee")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a neat fox"))

    deletes = stack.emulator.calls_to("deleteMessage")
    assert [(c.ok, c.answered) for c in deletes] == [(True, False), (False, True)]
    job = await stack.runtime.store.get_job(_job_id(stack))
    assert job is not None
    assert job.status == "delivered"  # the repeat's 400 changes nothing
    assert _told(stack) == []


async def test_a_timed_out_failure_report_is_retried_and_shown_once(stack: Stack) -> None:
    stack.emulator.inject_fault("sendPhoto", status=500)
    stack.emulator.inject_fault("editMessageText", status="timeout")
    user, chat = _person(stack, 3009, "Ed")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate an unlucky fox"))

    edits = stack.emulator.calls_to("editMessageText")
    assert [(c.ok, c.answered) for c in edits] == [(True, False), (False, True)]
    assert "not modified" in str(edits[1].result)
    # Told once, in the status message: no second message with the same words.
    assert _told(stack) == [UNCERTAIN]
    texts_in_chat = [m.get("text") for m in stack.emulator.messages(chat["id"])]
    assert texts_in_chat.count(UNCERTAIN) == 1


async def test_a_late_answer_within_the_read_timeout_is_just_slow(stack: Stack) -> None:
    stack.emulator.inject_fault("sendPhoto", status="timeout", hold_s=0.25)
    user, chat = _person(stack, 3010, "Lat")
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a late fox"))

    assert [(c.ok, c.answered) for c in stack.emulator.calls_to("sendPhoto")] == [(True, False)]
    assert _ok(stack, "deleteMessage") == 1  # delivered: the status removed, nothing told
    assert _told(stack) == []


def _job_id(stack: Stack) -> str:
    """The one job's id, from the callback data (``<action>:<job id>``) of its buttons."""
    markup = stack.emulator.calls_to("sendPhoto")[-1].params["reply_markup"]
    return str(markup["inline_keyboard"][0][0]["callback_data"]).split(":", 1)[1]


async def test_a_send_that_never_left_is_retried_and_arrives_once() -> None:
    """No connection could be made (the Bot API was not listening yet): the message cannot
    have arrived, so even a send is tried again, and it arrives once."""
    bot_api = BotApiEmulator(BOT_TOKEN)
    chat = bot_api.private_chat(bot_api.user(3012, "Con"))
    port = free_port()
    request = RetryingRequest(retries=3, backoff_s=0.3)
    bot = telegram.Bot(BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    sent = asyncio.Event()

    async def listen_a_moment_later() -> None:
        await asyncio.sleep(0.1)  # after the first try was refused, before the retry
        async with serve_in_background(bot_api.app, port=port):
            await sent.wait()

    server = asyncio.create_task(listen_a_moment_later())
    try:
        message = await bot.send_message(chat["id"], "hello after all")
    finally:
        sent.set()
        await server
        await request.shutdown()
    assert [m["text"] for m in bot_api.messages(chat["id"])] == ["hello after all"]
    assert message.text == "hello after all"
    assert len(bot_api.calls_to("sendMessage")) == 1


# The fault itself, seen from a plain HTTP client --------------------------------------------


async def test_the_timeout_fault_carries_the_call_out_and_holds_its_answer(
    emulator: tuple[BotApiEmulator, str],
) -> None:
    bot_api, url = emulator
    user = bot_api.user(3011, "Raw")
    chat = bot_api.private_chat(user)
    bot_api.inject_fault("sendMessage", status="timeout", hold_s=30)
    endpoint = f"{url}/bot{BOT_TOKEN}/sendMessage"
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(endpoint, json={"chat_id": chat["id"], "text": "hung"})
        answer = await client.post(endpoint, json={"chat_id": chat["id"], "text": "next"})
    assert answer.json()["ok"] is True  # one fault: the next call is answered at once
    assert [m["text"] for m in bot_api.messages(chat["id"])] == ["hung", "next"]
    assert [c.answered for c in bot_api.calls_to("sendMessage")] == [False, True]
