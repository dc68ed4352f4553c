"""``/buy`` through the bot cannot flood the operator's node nor the chat: an open invoice
of the same amount is sent again instead of a new one, at most a few invoices are sent per
user and hour, and at most a few are open at once. The fake backend, memory and Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import texts
from tests.conftest import Stack

PAID = {"payments_backend": "fake", "price_generate_sats": 100}
MAX_SATS = "/buy 1000000"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(PAID)  # the defaults: 5 invoices an hour, 3 open


def _ada(stack: Stack, user_id: int = 1001) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _texts(stack: Stack) -> list[str]:
    return [str(c.params["text"]) for c in stack.emulator.calls_to("sendMessage")]


def _captions(stack: Stack) -> list[str]:
    return [str(c.params.get("caption")) for c in stack.emulator.calls_to("sendPhoto")]


async def _pending(stack: Stack) -> int:
    payments = stack.runtime.payments
    assert payments is not None
    return len(await payments.ledger.pending_invoices())


async def test_repeated_buys_reuse_one_invoice_then_are_refused(stack: Stack) -> None:
    user, chat = _ada(stack)
    for _ in range(8):
        await stack.send(stack.emulator.user_message(chat, user, text=MAX_SATS))

    assert await _pending(stack) == 1  # one invoice on the node
    link = "\n\n" + texts.text("invoice_wallet_link")
    amount = "1,000,000 sats ≈ 10,000 images"
    first = texts.text("payment_topup_invoice", amount=amount, minutes=15) + link
    again = texts.text("payment_topup_invoice_again", amount=amount, minutes=15) + link
    assert _captions(stack) == [first] + [again] * 4  # five QR codes, then no more
    bolt11s = {t for t in _texts(stack) if t.startswith("lnbcrt")}
    assert len(bolt11s) == 1
    refused = texts.text("buy_rate_limited", minutes=60)
    assert _texts(stack).count(refused) == 3


async def test_open_invoices_are_capped(stack: Stack) -> None:
    user, chat = _ada(stack)
    for sats in (100, 200, 300, 400):
        await stack.send(stack.emulator.user_message(chat, user, text=f"/buy {sats}"))
    assert await _pending(stack) == 3
    assert len(stack.emulator.calls_to("sendPhoto")) == 3
    assert _texts(stack)[-1] == texts.text("buy_too_many_open", count=3, minutes=15)


async def test_a_flood_of_buys_from_many_chats_stays_bounded(stack: Stack) -> None:
    user, _ = _ada(stack)
    groups = [stack.emulator.group_chat() for _ in range(4)]
    await asyncio.gather(
        *(
            stack.post(stack.emulator.user_message(group, user, text=MAX_SATS))
            for group in groups
            for _ in range(10)
        )
    )
    await asyncio.sleep(0.05)
    await stack.runtime.wait_idle()
    assert len(stack.emulator.calls_to("sendPhoto")) <= 5  # the hourly limit, everywhere
    assert await _pending(stack) <= 5
    refusals = [t for t in _texts(stack) if not t.startswith("lnbcrt")]
    assert len(refusals) >= 35
