"""Funding a group's pool by invoice, end to end through the emulator with the fake payment
backend, on memory and on Redis: a member whose balance is short gets a Lightning invoice in
private, its payment goes into the pool once (re-delivered webhooks change nothing), and the
group is told; an expired one is told in private only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot import texts
from providers.payments.fake import FakeWebhook
from state.models import Balance
from tests.conftest import Stack

PRICE = 100


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"payments_backend": "fake", "price_generate_sats": PRICE}


async def _webhook(stack: Stack, webhook: FakeWebhook) -> httpx.Response:
    response = await stack.http.post(
        f"{stack.url}/payments/fake/webhook", content=webhook.body, headers=webhook.headers
    )
    await stack.runtime.wait_idle()
    return response


def _sent_to(stack: Stack, chat_id: int) -> list[dict[str, Any]]:
    """The bot's messages in the chat, in order."""
    bot_id = stack.emulator.bot_user["id"]
    return [m for m in stack.emulator.messages(chat_id) if m["from"]["id"] == bot_id]


async def test_a_short_balance_funds_the_pool_by_an_invoice_paid_once(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada = emulator.user(1001, "Ada")
    emulator.private_chat(ada)
    await payments.ledger.credit(ada["id"], "test-topup", 100)

    fund = emulator.user_message(group, ada, text="/fund 500")
    await stack.send(fund)
    (answer,) = _sent_to(stack, group["id"])
    assert answer["text"] == texts.text("fund_invoice_sent", name="Ada", amount=500)
    assert "lnbcrt" not in answer["text"]
    qr, bolt11 = _sent_to(stack, ada["id"])  # the invoice is in private
    caption = texts.text("fund_invoice", amount=500, group="Artists", minutes=15)
    assert qr["caption"] == f"{caption}\n\n{texts.text('invoice_wallet_link')}"
    (link,) = qr["caption_entities"]
    assert link["type"] == "text_link"
    assert link["url"].startswith("lightning:lnbcrt")
    assert "photo" in qr
    assert bolt11["text"].startswith("lnbcrt")
    assert bolt11["entities"] == [{"type": "code", "offset": 0, "length": len(bolt11["text"])}]
    (pending,) = await payments.ledger.pending_of(ada["id"])
    assert (pending.purpose, pending.chat_id, pending.amount_sats) == ("pool", group["id"], 500)
    assert await payments.balance(ada["id"]) == Balance(100, 0)  # nothing taken meanwhile

    paid = fake.mark_paid(pending.invoice_id)
    assert (await _webhook(stack, paid)).status_code == 200
    assert (await _webhook(stack, fake.redeliver(paid))).status_code == 200
    assert (await _webhook(stack, paid)).status_code == 200
    assert await payments.balance(group["id"]) == Balance(500, 0)  # once
    assert await payments.balance(ada["id"]) == Balance(100, 0)  # the pool's, not hers
    (told,) = _sent_to(stack, group["id"])[1:]
    assert told["text"] == texts.text("fund_invoice_paid", amount=500, balance=500)
    assert told["reply_to_message"]["message_id"] == fund["message"]["message_id"]
    assert await payments.ledger.pending_of(ada["id"]) == []

    # Paying in made her a funder: she may set the allowance.
    await stack.send(emulator.user_message(group, ada, text="/allowance 2"))
    assert _sent_to(stack, group["id"])[-1]["text"] == texts.text("allowance_set", cap=2)


async def test_an_unpaid_pool_invoice_is_told_in_private(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada = emulator.user(1001, "Ada")
    emulator.private_chat(ada)
    await stack.send(emulator.user_message(group, ada, text="/fund 300"))
    (pending,) = await payments.ledger.pending_of(ada["id"])
    in_group = len(_sent_to(stack, group["id"]))

    expired = fake.mark_expired(pending.invoice_id)
    assert (await _webhook(stack, expired)).status_code == 200
    assert (await _webhook(stack, fake.redeliver(expired))).status_code == 200
    told = texts.text("fund_invoice_expired", amount=300)
    assert [c["text"] for c in _sent_to(stack, ada["id"]) if c.get("text") == told] == [told]
    assert len(_sent_to(stack, group["id"])) == in_group  # the group hears nothing
    assert await payments.balance(group["id"]) == Balance(0, 0)


async def test_pool_invoices_count_with_top_ups(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada = emulator.user(1001, "Ada")
    chat = emulator.private_chat(ada)
    limit = stack.runtime.settings.topup_open_invoices_max
    least = stack.runtime.settings.price_generate_sats  # /buy takes one image at least
    for extra in range(limit):
        await stack.send(emulator.user_message(chat, ada, text=f"/buy {least + extra}"))
    await stack.send(emulator.user_message(group, ada, text="/fund 500"))
    answer = _sent_to(stack, group["id"])[-1]["text"]
    assert answer == texts.text("buy_too_many_open", count=limit, minutes=15)
    assert len(await payments.ledger.pending_of(ada["id"])) == limit


async def test_a_lost_webhook_still_funds_the_pool_by_reconciliation(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada = emulator.user(1001, "Ada")
    emulator.private_chat(ada)
    await stack.send(emulator.user_message(group, ada, text="/fund 300"))
    (pending,) = await payments.ledger.pending_of(ada["id"])
    fake.mark_paid(pending.invoice_id)  # its webhook never arrives

    await payments.reconcile_once()
    await payments.reconcile_once()
    assert await payments.balance(group["id"]) == Balance(300, 0)
    told = texts.text("fund_invoice_paid", amount=300, balance=300)
    assert [m["text"] for m in _sent_to(stack, group["id"])].count(told) == 1
