"""The LNbits backend against the real LNbits (FakeWallet): what only LNbits does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from providers.payments.base import InvoiceStatus, PaymentEventKind
from providers.payments.errors import (
    InvalidWebhook,
    PaymentBackendRejected,
    PaymentBackendUnavailable,
)
from providers.payments.lnbits import WEBHOOK_PATH, LnbitsBackend
from tests.providers.payments.harness import FAST, closed_port_url, lnbits_backend
from tests.services.lnbits_server import LnbitsInstance
from tests.services.webhook_recorder import WebhookRecorder


@pytest.fixture
async def backend(
    lnbits: LnbitsInstance, webhook_recorder: WebhookRecorder
) -> AsyncIterator[LnbitsBackend]:
    built = lnbits_backend(lnbits, webhook_recorder)
    await built.start()
    yield built
    await built.stop()


@pytest.fixture
async def short_backend(
    lnbits: LnbitsInstance, webhook_recorder: WebhookRecorder
) -> AsyncIterator[LnbitsBackend]:
    built = lnbits_backend(lnbits, webhook_recorder, expiry_s=1)
    await built.start()
    yield built
    await built.stop()


async def _wait_past(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.3)


async def test_invoice_asks_lnbits_for_our_webhook_memo_and_reference(
    backend: LnbitsBackend, lnbits: LnbitsInstance, webhook_recorder: WebhookRecorder
) -> None:
    invoice = await backend.create_invoice(21, "Fulmine top-up", reference="topup:7:abc")
    details = (await lnbits.payment(lnbits.bot, invoice.id))["details"]
    assert details["memo"] == "Fulmine top-up"
    assert details["webhook"] == webhook_recorder.url + WEBHOOK_PATH
    assert details["extra"]["fulmine_reference"] == "topup:7:abc"
    assert details["amount"] == 21_000
    assert (await backend.get_invoice(invoice.id)).reference == "topup:7:abc"


async def test_every_webhook_delivery_is_verified_into_one_event(
    backend: LnbitsBackend, lnbits: LnbitsInstance, webhook_recorder: WebhookRecorder
) -> None:
    invoice = await backend.create_invoice(34, "memo", reference="r")
    assert (await lnbits.pay(invoice.bolt11)).status_code == 201
    await webhook_recorder.wait_for(WEBHOOK_PATH)
    await asyncio.sleep(0.5)  # LNbits sometimes posts the same webhook twice
    deliveries = [d for d in webhook_recorder.at(WEBHOOK_PATH) if invoice.id.encode() in d.body]
    assert deliveries
    assert isinstance(json.loads(deliveries[0].body), str)  # LNbits 1.x double-encodes
    events = {await backend.parse_webhook(d.headers, d.body) for d in deliveries}
    assert len(events) == 1
    (event,) = events
    assert (event.invoice_id, event.kind) == (invoice.id, PaymentEventKind.SETTLED)
    assert (await backend.get_invoice(invoice.id)).amount_paid_sats == 34


async def test_paid_after_expiry_before_lnbits_noticed_counts_as_paid_late(
    short_backend: LnbitsBackend, lnbits: LnbitsInstance, webhook_recorder: WebhookRecorder
) -> None:
    invoice = await short_backend.create_invoice(13, "memo", reference="r")
    await _wait_past(invoice.expires_at)
    # Nothing asked LNbits about the invoice yet, so its internal payment still goes through.
    assert (await lnbits.pay(invoice.bolt11)).status_code == 201
    (delivery,) = await webhook_recorder.wait_for(WEBHOOK_PATH)
    event = await short_backend.parse_webhook(delivery.headers, delivery.body)
    assert (event.kind, event.paid_late) == (PaymentEventKind.SETTLED, True)
    paid = await short_backend.get_invoice(invoice.id)
    assert (paid.status, paid.paid_late, paid.amount_paid_sats) == (InvoiceStatus.PAID, True, 13)


async def test_payment_after_lnbits_marked_the_invoice_expired_is_refused(
    short_backend: LnbitsBackend, lnbits: LnbitsInstance
) -> None:
    invoice = await short_backend.create_invoice(8, "memo", reference="r")
    await _wait_past(invoice.expires_at)
    assert (await short_backend.get_invoice(invoice.id)).status is InvoiceStatus.EXPIRED
    before = await lnbits.balance_msat(lnbits.payer)
    await lnbits.pay(invoice.bolt11)
    after = await short_backend.get_invoice(invoice.id)
    assert (after.status, after.amount_paid_sats) == (InvoiceStatus.EXPIRED, 0)
    assert await lnbits.balance_msat(lnbits.payer) == before


async def test_webhook_naming_another_wallets_invoice_is_rejected(
    backend: LnbitsBackend, lnbits: LnbitsInstance
) -> None:
    theirs = await lnbits.create_invoice(lnbits.payer, 50)
    body = json.dumps(json.dumps({"payment_hash": theirs["payment_hash"], "status": "success"}))
    with pytest.raises(InvalidWebhook) as caught:
        await backend.parse_webhook({}, body.encode())
    assert caught.value.reason == "not a payment of this wallet"


async def test_unknown_invoice_key_is_rejected_without_echoing_it(lnbits: LnbitsInstance) -> None:
    wrong = LnbitsBackend(lnbits.url, SecretStr("0" * 32), webhook_url=None, policy=FAST)
    await wrong.start()
    try:
        with pytest.raises(PaymentBackendRejected) as caught:
            await wrong.create_invoice(21, "memo", reference="r")
    finally:
        await wrong.stop()
    assert caught.value.status_code == 404  # LNbits: "Wallet not found."
    assert "0" * 32 not in str(caught.value)


async def test_webhook_cannot_be_verified_while_lnbits_is_down() -> None:
    down = LnbitsBackend(closed_port_url(), SecretStr("key"), webhook_url=None, policy=FAST)
    await down.start()
    body = json.dumps(json.dumps({"payment_hash": "ab" * 32, "status": "success"}))
    try:
        with pytest.raises(PaymentBackendUnavailable):
            await down.parse_webhook({}, body.encode())
    finally:
        await down.stop()
