"""Telegram Stars end to end through the emulator, on memory and on Redis: /buy offers
Stars beside Lightning, the pre-checkout check, a purchase credited once however often
Telegram re-sends it, a parked job paid in Stars, and its refund when it fails."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot import texts
from bot.webhook_admin import allowed_updates
from orchestrator.payments.service import PaymentService
from state.models import Balance
from tests.conftest import Stack, make_settings
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate, Fault

PRICE = 100
STARS = {
    "payments_backend": "fake",
    "price_generate_sats": PRICE,
    "stars_per_credit": 0.1,  # 100 sats of credit: 10 Stars
    "payment_support_contact": "@fulmine_support",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(STARS)


def _payments(stack: Stack) -> PaymentService:
    assert stack.runtime.payments is not None
    return stack.runtime.payments


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _texts(stack: Stack) -> list[str]:
    return [str(c.params["text"]) for c in stack.emulator.calls_to("sendMessage")]


async def _pay(stack: Stack, chat: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Press Pay under the last Stars invoice; the successful_payment Update."""
    invoice = stack.emulator.calls_to("sendInvoice")[-1]
    query = stack.emulator.pre_checkout(chat, user, invoice.result["message_id"])
    await stack.send(query)
    query_id = query["pre_checkout_query"]["id"]
    assert stack.emulator.pre_checkout_answer(query_id) is True
    return stack.emulator.successful_payment(query_id)


async def test_buy_offers_stars_and_a_resent_payment_credits_once(stack: Stack) -> None:
    payments = _payments(stack)
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/buy 500"))
    assert len(stack.emulator.calls_to("sendPhoto")) == 1  # the Lightning invoice's QR
    (invoice,) = stack.emulator.calls_to("sendInvoice")
    assert invoice.params["currency"] == "XTR"
    assert "provider_token" not in invoice.params
    assert invoice.params["prices"] == [{"label": "Credit", "amount": 50}]

    payment = await _pay(stack, chat, user)
    await stack.send(payment)
    credited = texts.text("stars_credited", credits=500, balance=500)
    assert _texts(stack)[-1] == credited
    assert await payments.balance(user["id"]) == Balance(500, 0)

    # Telegram re-sends the same payment: once as the same update, once as a new one.
    await stack.send(payment)
    await stack.send(stack.emulator.update_of_kind("message", payment["message"]))
    assert await payments.balance(user["id"]) == Balance(500, 0)
    assert _texts(stack).count(credited) == 1


async def test_pre_checkout_refuses_a_payload_we_never_priced(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/buy 500"))
    (invoice,) = stack.emulator.calls_to("sendInvoice")
    query = stack.emulator.pre_checkout(chat, user, invoice.result["message_id"])
    forged = dict(query["pre_checkout_query"], total_amount=1)  # 500 sats for 1 Star
    await stack.send(stack.emulator.update_of_kind("pre_checkout_query", forged))
    assert stack.emulator.pre_checkout_answer(forged["id"]) is False
    (answer,) = stack.emulator.calls_to("answerPreCheckoutQuery")
    assert answer.params["error_message"] == texts.text("stars_checkout_refused")
    with pytest.raises(ValueError, match="not confirmed"):
        stack.emulator.successful_payment(forged["id"])
    assert await _payments(stack).balance(user["id"]) == Balance(0, 0)


async def test_someone_elses_topup_invoice_cannot_be_paid(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/buy 500"))
    other = stack.emulator.user(1002, "Bob")
    invoice = stack.emulator.calls_to("sendInvoice")[-1]
    query = stack.emulator.pre_checkout(chat, other, invoice.result["message_id"])
    await stack.send(query)
    assert stack.emulator.pre_checkout_answer(query["pre_checkout_query"]["id"]) is False


async def test_parked_job_paid_in_stars_runs(stack: Stack) -> None:
    payments = _payments(stack)
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a red fox"))
    (invoice,) = stack.emulator.calls_to("sendInvoice")
    assert invoice.params["prices"][0]["amount"] == 10
    await stack.send(await _pay(stack, chat, user))
    photos = stack.emulator.calls_to("sendPhoto")
    assert photos[-1].params["caption"] == "a red fox"  # the QR code, then the image
    assert await payments.balance(user["id"]) == Balance(0, 0)  # credited, then captured
    assert await payments.ledger.pending_invoices() == []  # its Lightning invoice resolved


async def test_paysupport_and_terms(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/paysupport"))
    await stack.send(stack.emulator.user_message(chat, user, text="/terms"))
    assert _texts(stack) == [
        texts.text("paysupport_contact", contact="@fulmine_support"),
        texts.text("terms", stars=10, refund=texts.text("terms_failed_refund")),
    ]


def test_the_webhook_asks_for_pre_checkout_queries_when_stars_are_on() -> None:
    url = "http://127.0.0.1:1/bot"
    assert "pre_checkout_query" in allowed_updates(make_settings(url, **STARS))
    assert allowed_updates(make_settings(url)) == ["message", "callback_query"]


@pytest.fixture
def failing_replicate(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> dict[str, Any]:
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})]
    return hosted_settings(fake_replicate, fake_fal) | {"generate_provider": "replicate"}


@pytest.mark.parametrize("policy", ["refund", "credit"])
async def test_failed_job_paid_in_stars_is_refunded_or_kept(
    emulator: Any, failing_replicate: dict[str, Any], state_backend: dict[str, Any], policy: str
) -> None:
    from bot.frontend import TelegramFrontend
    from orchestrator.app import create_app
    from orchestrator.serving.server import serve_in_background
    from tests.conftest import make_settings

    bot_api, bot_api_url = emulator
    overrides = {**state_backend, **failing_replicate, **STARS, "stars_failed_job": policy}
    app = create_app(make_settings(bot_api_url, **overrides), TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        stack = Stack(bot_api, app.state.runtime, url, http)
        user, chat = _ada(stack)
        await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
        payment = await _pay(stack, chat, user)
        await stack.send(payment)
        charge = payment["message"]["successful_payment"]["telegram_payment_charge_id"]
        refunds = stack.emulator.calls_to("refundStarPayment")
        if policy == "refund":
            (refund,) = refunds
            assert refund.params == {"user_id": user["id"], "telegram_payment_charge_id": charge}
            assert stack.emulator.star_refunded(charge)
            assert texts.text("stars_refunded", stars=10) in _texts(stack)
            assert await _payments(stack).balance(user["id"]) == Balance(0, 0)
        else:
            assert refunds == []
            assert await _payments(stack).balance(user["id"]) == Balance(PRICE, 0)
        assert len(stack.emulator.calls_to("sendPhoto")) == 1  # only the QR code
