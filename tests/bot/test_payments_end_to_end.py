"""Payments end to end with the fake backend, on memory and on Redis: the invoice (text +
QR), the paid webhook that starts the parked job, capture on delivery, release on failure,
duplicate and forged webhooks, expiry, top-ups, reconciliation and no overdraft."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from bot import texts
from bot.money.payments import qr_png
from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.fake import FakeWebhook
from state.models import Balance
from tests.conftest import Stack
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate, Fault

PRICE = 100
PAID = {"payments_backend": "fake", "price_generate_sats": PRICE, "price_edit_sats": 150}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(PAID)


def _ada(stack: Stack, user_id: int = 1001) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _webhook(stack: Stack, webhook: FakeWebhook) -> httpx.Response:
    response = await stack.http.post(
        f"{stack.url}/payments/fake/webhook", content=webhook.body, headers=webhook.headers
    )
    await stack.runtime.wait_idle()
    return response


def _invoice_of(stack: Stack, index: int = -1) -> str:
    """The BOLT11 the bot sent as text to copy (the message after the QR code)."""
    bolt11s = [
        str(call.params["text"])
        for call in stack.emulator.calls_to("sendMessage")
        if str(call.params["text"]).startswith("lnbcrt")
    ]
    return bolt11s[index]


def _captioned(body: str) -> str:
    """An invoice's caption: what it is for, then the link that opens it in a wallet."""
    return f"{body}\n\n{texts.text('invoice_wallet_link')}"


def _job_invoice(price: str, amount: str, images: int = 1, covered: str = "") -> str:
    """A request's invoice caption: its price, what ``covered`` it, what is left to pay."""
    head = texts.text("payment_invoice", images=images, price=price) + covered
    return _captioned(head + texts.text("payment_invoice_pay", amount=amount, minutes=15))


def _texts(stack: Stack) -> list[str]:
    return [str(c.params["text"]) for c in stack.emulator.calls_to("sendMessage")]


async def test_no_credits_invoice_then_paid_job_runs_by_itself(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    user, chat = _ada(stack)
    request = stack.emulator.user_message(chat, user, text="/generate a red fox")
    await stack.send(request)

    (qr,) = stack.emulator.calls_to("sendPhoto")  # the invoice's QR code, no image yet
    assert qr.params["caption"] == _job_invoice("100 sats", "100 sats")
    bolt11 = _invoice_of(stack)
    (link,) = qr.params["caption_entities"]  # a wallet on this device opens it
    assert link["type"] == "text_link"
    assert link["url"] == f"lightning:{bolt11}"
    assert qr.params["caption"][link["offset"] :] == texts.text("invoice_wallet_link")
    (copy,) = [c for c in stack.emulator.calls_to("sendMessage") if c.params["text"] == bolt11]
    assert copy.params["entities"] == [{"type": "code", "offset": 0, "length": len(bolt11)}]
    (qr_file,) = qr.files.values()
    assert qr_file == qr_png(bolt11)
    assert Image.open(io.BytesIO(qr_file)).format == "PNG"
    (pending,) = await payments.ledger.pending_invoices()
    assert (await fake.get_invoice(pending.invoice_id)).bolt11 == bolt11

    paid = fake.mark_paid(pending.invoice_id)
    assert (await _webhook(stack, paid)).status_code == 200
    photos = stack.emulator.calls_to("sendPhoto")
    assert len(photos) == 2
    assert photos[1].params["caption"] == "a red fox"
    assert photos[1].params["reply_parameters"]["message_id"] == request["message"]["message_id"]
    assert texts.text("payment_job_paid", amount=PRICE, balance=0) in _texts(stack)
    assert await payments.balance(user["id"]) == Balance(0, 0)  # credited, then captured
    assert await stack.runtime.stats.counter(REVENUE_SATS) == PRICE  # what /stats reads

    # The service re-sends it (a new delivery id): credited once, the job ran once.
    assert (await _webhook(stack, fake.redeliver(paid))).status_code == 200
    assert (await _webhook(stack, paid)).status_code == 200
    assert len(stack.emulator.calls_to("sendPhoto")) == 2
    assert await payments.balance(user["id"]) == Balance(0, 0)
    assert await stack.runtime.stats.counter(REVENUE_SATS) == PRICE


async def test_forged_webhook_is_refused_and_credits_nothing(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    (pending,) = await payments.ledger.pending_invoices()
    forged = FakeWebhook({"fulmine-fake-sig": "0" * 64}, b'{"invoice_id": "x", "kind": "settled"}')
    assert (await _webhook(stack, forged)).status_code == 401
    assert (await _webhook(stack, forged)).status_code == 401
    assert (await stack.http.post(f"{stack.url}/payments/btcpay/webhook")).status_code == 404
    assert await payments.balance(user["id"]) == Balance(0, 0)
    assert len(stack.emulator.calls_to("sendPhoto")) == 1  # only the QR code
    assert [p.invoice_id for p in await payments.ledger.pending_invoices()] == [pending.invoice_id]


async def test_expired_invoice_is_told_once_and_costs_nothing(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --n 2"))
    (pending,) = await payments.ledger.pending_invoices()
    assert pending.amount_sats == 2 * PRICE  # --n 2 costs two
    expired = fake.mark_expired(pending.invoice_id)
    assert (await _webhook(stack, expired)).status_code == 200
    assert (await _webhook(stack, fake.redeliver(expired))).status_code == 200
    await payments.reconcile_once()
    told = texts.text("payment_expired_request", amount=2 * PRICE, prompt="a fox")
    assert _texts(stack).count(told) == 1
    assert await payments.ledger.pending_invoices() == []
    assert await payments.balance(user["id"]) == Balance(0, 0)
    assert len(stack.emulator.calls_to("sendPhoto")) == 1  # the QR code; no image made

    # Paid after all, late: the sats become credit (said once); the request stays dropped.
    late = fake.mark_paid(pending.invoice_id)
    assert (await _webhook(stack, late)).status_code == 200
    assert (await _webhook(stack, fake.redeliver(late))).status_code == 200
    credited = texts.text("payment_topup_credited", amount=2 * PRICE, balance=2 * PRICE)
    assert _texts(stack).count(credited) == 1
    assert await payments.balance(user["id"]) == Balance(2 * PRICE, 0)
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


async def test_lost_webhook_is_caught_by_reconciliation(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a lost fox"))
    (pending,) = await payments.ledger.pending_invoices()
    fake.mark_paid(pending.invoice_id)  # its webhook never arrives
    await payments.reconcile_once()
    await stack.runtime.wait_idle()
    await payments.reconcile_once()
    await stack.runtime.wait_idle()
    photos = stack.emulator.calls_to("sendPhoto")
    assert [p.params.get("caption") for p in photos[1:]] == ["a lost fox"]
    assert await payments.balance(user["id"]) == Balance(0, 0)


async def test_topup_balance_and_concurrent_jobs_cannot_overdraw(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/buy 250"))
    (qr,) = stack.emulator.calls_to("sendPhoto")
    topup = texts.text("payment_topup_invoice", amount="250 sats ≈ 2 images", minutes=15)
    assert qr.params["caption"] == _captioned(topup)
    (pending,) = await payments.ledger.pending_invoices()
    assert pending.purpose == "topup"
    await _webhook(stack, fake.mark_paid(pending.invoice_id))
    assert texts.text("payment_topup_credited", amount=250, balance=250) in _texts(stack)

    # Three requests at once against 250 sats: two run, the third gets an invoice for 50.
    for prompt in ("one", "two", "three"):
        await stack.post(stack.emulator.user_message(chat, user, text=f"/generate {prompt}"))
    await asyncio.sleep(0.05)
    await stack.runtime.wait_idle()
    photos = stack.emulator.calls_to("sendPhoto")
    results = [p for p in photos if p.params.get("caption") in ("one", "two", "three")]
    assert len(results) == 2
    assert len(photos) == 1 + 2 + 1  # top-up QR, two images, one more QR
    kept = texts.text("payment_invoice_credit", credit="50 sats")  # the last 50 sats
    short = _job_invoice("100 sats", "50 sats", covered=kept)
    assert [p.params.get("caption") for p in photos].count(short) == 1
    assert await payments.balance(user["id"]) == Balance(0, 50)  # kept for the third

    await stack.send(stack.emulator.user_message(chat, user, text="/balance"))
    held = texts.text("balance_held", held="50 sats")
    assert _texts(stack)[-1].startswith(texts.text("balance", credits="0 sats") + held)
    await stack.send(stack.emulator.user_message(chat, user, text="/help"))
    prices = texts.text("help_prices", generate="100 sats", edit="150 sats")
    assert _texts(stack)[-1].endswith(prices)


@pytest.mark.parametrize("settings_overrides", [PAID | {"free_generations_per_day": 1}])
async def test_free_allowance_comes_before_credits(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate free fox"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "free fox"
    await stack.send(stack.emulator.user_message(chat, user, text="/generate paid fox"))
    assert len(await payments.ledger.pending_invoices()) == 1
    assert (
        stack.emulator.calls_to("sendPhoto")[-1]
        .params["caption"]
        .startswith(texts.text("payment_invoice", images=1, price="100 sats"))
    )


@pytest.fixture
def failing_replicate(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> dict[str, Any]:
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})]
    return hosted_settings(fake_replicate, fake_fal) | {"generate_provider": "replicate"}


async def test_provider_failure_after_payment_releases_and_says_not_charged(
    emulator: Any, failing_replicate: dict[str, Any], state_backend: dict[str, Any]
) -> None:
    from bot.frontend import TelegramFrontend
    from orchestrator.app import create_app
    from orchestrator.serving.server import serve_in_background
    from tests.conftest import make_settings

    bot_api, bot_api_url = emulator
    settings = make_settings(bot_api_url, **state_backend, **failing_replicate, **PAID)
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        stack = Stack(bot_api, app.state.runtime, url, http)
        payments, fake = stack.fake_payments()
        user, chat = _ada(stack)
        await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
        (pending,) = await payments.ledger.pending_invoices()
        await _webhook(stack, fake.mark_paid(pending.invoice_id))
        failure = texts.text("failed_provider_rejected")  # a 422; it says "not charged" itself
        assert failure in _texts(stack) + [
            str(c.params["text"]) for c in stack.emulator.calls_to("editMessageText")
        ]
        assert await payments.balance(user["id"]) == Balance(PRICE, 0)  # paid, not spent
        assert len(stack.emulator.calls_to("sendPhoto")) == 1  # only the QR code


async def test_a_blocked_prompt_is_never_invoiced_nor_charged(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    user, chat = _ada(stack)
    await payments.ledger.credit(user["id"], "test-topup", PRICE)

    await stack.send(
        stack.emulator.user_message(chat, user, text="/generate explicit porn of a naked woman")
    )
    assert _texts(stack) == [texts.text("moderation_blocked_sexual")]
    assert stack.emulator.calls_to("sendPhoto") == []  # neither an invoice's QR nor an image
    assert await payments.ledger.pending_invoices() == []
    assert await payments.balance(user["id"]) == Balance(PRICE, 0)
