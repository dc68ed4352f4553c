"""``/cancel`` and the Cancel button: a job that waits or is being made is stopped, its
provider call abandoned, its reservation released, and its sender told they were not
charged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import texts
from state.models import Balance
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack
from tests.fakes.replicate import FakeReplicate

REPLICATE = {"generate_provider": "replicate"}


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _until(condition: Any, timeout_s: float = 5.0) -> None:
    """Until the fake provider has seen the call (its log is a list, not an event)."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _told(stack: Stack) -> list[str]:
    calls = stack.emulator.calls_to("sendMessage") + stack.emulator.calls_to("editMessageText")
    return [str(call.params["text"]) for call in calls]


@pytest.mark.parametrize("extra_settings", [REPLICATE])
async def test_cancel_stops_a_job_being_made(stack: Stack, fake_replicate: FakeReplicate) -> None:
    fake_replicate.hang = True
    user, chat = _ada(stack)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a slow fox"))
    await _until(lambda: fake_replicate.creates())
    (status,) = stack.emulator.calls_to("sendMessage")
    ((cancel,),) = status.params["reply_markup"]["inline_keyboard"]
    assert cancel["text"] == texts.text("button_cancel")

    await stack.send(stack.emulator.user_message(chat, user, text="/cancel"))
    assert stack.emulator.calls_to("sendPhoto") == []
    assert texts.text("cancel_done") in _told(stack)
    (failed,) = stack.emulator.calls_to("editMessageText")
    assert failed.params["text"] == texts.text("failed_cancelled")
    assert fake_replicate.cancels()  # the provider's prediction was abandoned, and said so
    assert await stack.runtime.store.in_flight() == 0

    await stack.send(stack.emulator.user_message(chat, user, text="/cancel"))
    said = stack.emulator.calls_to("sendMessage")[-1].params["text"]
    assert said == texts.text("cancel_nothing")  # it is over: nothing left to cancel


@pytest.mark.parametrize("extra_settings", [REPLICATE])
async def test_the_cancel_button_is_its_senders_only(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.hang = True
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-100950, "Painters")
    await stack.post(stack.emulator.user_message(group, ada, text="/generate a slow fox"))
    await _until(lambda: fake_replicate.creates())
    (status,) = stack.emulator.calls_to("sendMessage")
    ((cancel,),) = status.params["reply_markup"]["inline_keyboard"]
    message_id = status.result["message_id"]

    foreign = stack.emulator.button_press(group, bob, message_id, cancel["callback_data"])
    await stack.post(foreign)
    await stack.emulator.wait_for_call("answerCallbackQuery")
    assert stack.emulator.calls_to("answerCallbackQuery")[0].params["text"] == texts.text(
        "button_foreign"
    )
    assert stack.emulator.calls_to("editMessageText") == []

    await stack.send(stack.emulator.button_press(group, ada, message_id, cancel["callback_data"]))
    answers = stack.emulator.calls_to("answerCallbackQuery")
    assert answers[-1].params["text"] == texts.text("cancel_done")
    assert stack.emulator.calls_to("sendPhoto") == []
    assert stack.emulator.calls_to("editMessageText")[-1].params["text"] == texts.text(
        "failed_cancelled"
    )


async def test_nothing_to_cancel(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.send(stack.emulator.user_message(chat, user, text="/cancel"))
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    said = stack.emulator.calls_to("sendMessage")[-1].params["text"]
    assert said == texts.text("cancel_nothing")


WAITING = REPLICATE | {
    "worker_concurrency": 1,
    "payments_backend": "fake",
    "price_generate_sats": 100,
    "free_generations_per_day": 1,
}


def _to(stack: Stack, chat_id: int) -> list[Any]:
    calls = [
        *stack.emulator.calls_to("sendMessage"),
        *stack.emulator.calls_to("editMessageText"),
        *stack.emulator.calls_to("sendPhoto"),
    ]
    return [call for call in calls if call.params["chat_id"] == chat_id]


@pytest.mark.parametrize("extra_settings", [WAITING])
async def test_cancelling_a_waiting_job_ends_it_at_once(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    fake_replicate.hang = True
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    await stack.post(
        stack.emulator.user_message(
            stack.emulator.private_chat(bob), bob, text="/generate a slow owl"
        )
    )
    await _until(lambda: fake_replicate.creates())  # the only worker is busy with Bob's
    user, chat = _ada(stack)
    await payments.ledger.credit(1001, "gift", 100)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate two foxes --n 2"))
    await stack.runtime.updates.wait_idle()
    assert await payments.balance(1001) == Balance(0, 100, 1)  # one free image and 100 sats
    assert await stack.runtime.store.in_flight() == 2

    # Told, released and freed while Bob's job still holds the worker.
    await stack.post(stack.emulator.user_message(chat, user, text="/cancel"))
    await stack.runtime.updates.wait_idle()
    assert texts.text("cancel_done") in _told(stack)
    (failed,) = [
        c for c in stack.emulator.calls_to("editMessageText") if c.params["chat_id"] == 1001
    ]
    assert failed.params["text"] == texts.text("failed_cancelled")
    buttons = [b["text"] for row in failed.params["reply_markup"]["inline_keyboard"] for b in row]
    assert texts.text("button_cancel") not in buttons
    assert await payments.balance(1001) == Balance(100, 0, 0)
    assert await stack.runtime.store.in_flight() == 1
    told_ada = len(_to(stack, 1001))

    fake_replicate.hang = False  # Bob's job ends; the worker then pops Ada's and drops it
    await stack.runtime.wait_idle()
    assert [c.params["chat_id"] for c in stack.emulator.calls_to("sendPhoto")] == [1002]
    assert len(fake_replicate.creates()) == 1  # no provider call for Ada's
    assert len(_to(stack, 1001)) == told_ada  # and no second word to her
    assert await payments.balance(1001) == Balance(100, 0, 0)
    assert await stack.runtime.store.in_flight() == 0
    assert await stack.runtime.stats.counter("jobs_failed") == 1

    await stack.send(stack.emulator.user_message(chat, user, text="/cancel"))
    said = stack.emulator.calls_to("sendMessage")[-1].params["text"]
    assert said == texts.text("cancel_nothing")
