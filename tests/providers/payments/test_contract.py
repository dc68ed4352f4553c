"""The PaymentBackend contract, run over every backend: fake (in process), BTCPay (the
Greenfield server on loopback) and LNbits (the real one, FakeWallet)."""

from __future__ import annotations

import inspect
import os
from datetime import UTC, datetime, timedelta

import bolt11
import pytest

from providers.payments.base import InvoiceStatus, PaymentEventKind
from providers.payments.errors import (
    InvalidWebhook,
    InvoiceNotFound,
    PaymentBackendUnavailable,
)
from tests.providers.payments.harness import Harness


async def test_invoice_is_a_bolt11_for_the_amount_and_can_be_fetched(harness: Harness) -> None:
    invoice = await harness.new_invoice(21)
    decoded = bolt11.decode(invoice.bolt11)
    assert decoded.amount_msat == 21_000
    assert invoice.amount_sats == 21
    assert invoice.status is InvoiceStatus.PENDING
    assert invoice.expires_at - datetime.now(UTC) == pytest.approx(
        timedelta(seconds=600), abs=timedelta(seconds=5)
    )
    fetched = await harness.backend.get_invoice(invoice.id)
    assert (fetched.id, fetched.bolt11, fetched.amount_sats) == (invoice.id, invoice.bolt11, 21)
    assert fetched.status is InvoiceStatus.PENDING
    assert fetched.amount_paid_sats == 0
    assert fetched.reference == "ref-1"


async def test_payment_webhook_is_a_settled_event_and_the_invoice_is_paid(
    harness: Harness,
) -> None:
    invoice = await harness.new_invoice(21)
    webhook = await harness.pay(invoice)
    event = await harness.backend.parse_webhook(webhook.headers, webhook.body)
    assert event.invoice_id == invoice.id
    assert event.kind is PaymentEventKind.SETTLED
    assert not event.paid_late
    paid = await harness.backend.get_invoice(invoice.id)
    assert paid.status is InvoiceStatus.PAID
    assert paid.amount_paid_sats == 21


async def test_redelivered_webhook_is_the_same_event(harness: Harness) -> None:
    invoice = await harness.new_invoice()
    first = await harness.pay(invoice)
    again = await harness.redeliver(first)
    event = await harness.backend.parse_webhook(first.headers, first.body)
    repeated = await harness.backend.parse_webhook(again.headers, again.body)
    assert repeated == event
    assert repeated.key == event.key == f"{invoice.id}:settled"


async def test_forged_settlement_is_rejected_and_nothing_is_paid(harness: Harness) -> None:
    invoice = await harness.new_invoice()
    forged = harness.forged_settlement(invoice)
    with pytest.raises(InvalidWebhook):
        await harness.backend.parse_webhook(forged.headers, forged.body)
    unpaid = await harness.backend.get_invoice(invoice.id)
    assert unpaid.status is InvoiceStatus.PENDING
    assert unpaid.amount_paid_sats == 0


async def test_genuine_webhook_edited_to_name_another_invoice_is_rejected(
    harness: Harness,
) -> None:
    paid, unpaid = await harness.new_invoice(), await harness.new_invoice()
    webhook = await harness.pay(paid)
    edited = webhook.body.replace(paid.id.encode(), unpaid.id.encode())
    assert edited != webhook.body
    with pytest.raises(InvalidWebhook):
        await harness.backend.parse_webhook(webhook.headers, edited)
    assert (await harness.backend.get_invoice(unpaid.id)).status is InvoiceStatus.PENDING


async def test_garbage_webhooks_are_rejected(harness: Harness) -> None:
    for body in (b"", b"not json", b"[]", b'{"type": "InvoiceSettled"}', b'"\\"{}\\""'):
        with pytest.raises(InvalidWebhook):
            await harness.backend.parse_webhook({"Content-Type": "application/json"}, body)


async def test_claimed_invoice_id_is_read_without_asking_the_service(harness: Harness) -> None:
    claimed = harness.backend.claimed_invoice_id
    assert not inspect.iscoroutinefunction(claimed)  # no I/O: nothing to await
    invoice = await harness.new_invoice()
    webhook = await harness.pay(invoice)
    assert claimed(webhook.headers, webhook.body) == invoice.id
    forged = harness.forged_settlement(invoice)
    # A signed service's forgery names nothing; an unsigned one's cannot be told yet.
    assert claimed(forged.headers, forged.body) in (None, invoice.id)
    for body in (b"", b"not json", b"[]", b'{"type": "InvoiceSettled"}', b'"\\"{}\\""'):
        assert claimed({"Content-Type": "application/json"}, body) is None
    down = harness.unreachable_backend()  # never started: a call to its service would fail
    assert down.claimed_invoice_id(webhook.headers, webhook.body) in (None, invoice.id)


async def test_expired_invoice_is_expired_and_unpaid(harness: Harness) -> None:
    invoice, webhook = await harness.expired_invoice()
    expired = await harness.backend.get_invoice(invoice.id)
    assert expired.status is InvoiceStatus.EXPIRED
    assert expired.amount_paid_sats == 0
    assert (webhook is not None) == harness.sends_expiry_webhook
    if webhook is not None:
        event = await harness.backend.parse_webhook(webhook.headers, webhook.body)
        assert (event.invoice_id, event.kind) == (invoice.id, PaymentEventKind.EXPIRED)


async def test_unknown_invoice_is_not_found(harness: Harness) -> None:
    with pytest.raises(InvoiceNotFound) as caught:
        await harness.backend.get_invoice(os.urandom(32).hex())
    assert caught.value.backend == harness.name


async def test_backend_down_is_unavailable(harness: Harness) -> None:
    down = harness.unreachable_backend()
    await down.start()
    try:
        with pytest.raises(PaymentBackendUnavailable):
            await down.create_invoice(21, "memo", reference="ref")
        with pytest.raises(PaymentBackendUnavailable):
            await down.get_invoice(os.urandom(32).hex())
    finally:
        await down.stop()
