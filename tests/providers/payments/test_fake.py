"""The in-process fake backend: real-format invoices and the payer's side for tests."""

from __future__ import annotations

import bolt11
import pytest

from providers.payments.base import InvoiceStatus, PaymentEventKind
from providers.payments.errors import InvalidWebhook, InvoiceNotFound
from providers.payments.fake import FakePaymentBackend


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_invoices_are_signed_regtest_bolt11_with_a_throwaway_key() -> None:
    backend, other = FakePaymentBackend(expiry_s=300), FakePaymentBackend()
    first = bolt11.decode((await backend.create_invoice(5, "first", reference="a")).bolt11)
    second = bolt11.decode((await backend.create_invoice(6, "second", reference="b")).bolt11)
    elsewhere = bolt11.decode((await other.create_invoice(5, "x", reference="c")).bolt11)
    assert first.is_regtest()  # no real wallet would pay it
    assert (first.amount_msat, first.description, first.expiry) == (5000, "first", 300)
    assert first.payee == second.payee != elsewhere.payee  # one key per instance
    assert first.payment_hash != second.payment_hash


async def test_invoice_expires_with_the_clock_and_a_late_payment_is_marked() -> None:
    clock = Clock()
    backend = FakePaymentBackend(expiry_s=60, clock=clock)
    invoice = await backend.create_invoice(10, "m", reference="r")
    clock.now += 59
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.PENDING
    clock.now += 1
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.EXPIRED
    webhook = backend.mark_paid(invoice.id)
    event = await backend.parse_webhook(webhook.headers, webhook.body)
    assert (event.kind, event.paid_late) == (PaymentEventKind.SETTLED, True)
    paid = await backend.get_invoice(invoice.id)
    assert (paid.status, paid.paid_late, paid.amount_paid_sats) == (InvoiceStatus.PAID, True, 10)


async def test_paid_stays_paid_and_a_partial_amount_is_what_is_reported() -> None:
    backend = FakePaymentBackend()
    invoice = await backend.create_invoice(10, "m", reference="r")
    first = backend.mark_paid(invoice.id, amount_sats=7)
    again = backend.mark_paid(invoice.id)
    backend.mark_expired(invoice.id)
    backend.mark_invalid(invoice.id)
    paid = await backend.get_invoice(invoice.id)
    assert (paid.status, paid.amount_paid_sats) == (InvoiceStatus.PAID, 7)
    events = [await backend.parse_webhook(w.headers, w.body) for w in (first, again)]
    assert events[0] == events[1]


async def test_invalid_invoice() -> None:
    backend = FakePaymentBackend()
    invoice = await backend.create_invoice(10, "m", reference="r")
    webhook = backend.mark_invalid(invoice.id)
    event = await backend.parse_webhook(webhook.headers, webhook.body)
    assert event.kind is PaymentEventKind.INVALID
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.INVALID


async def test_webhook_of_another_instance_is_rejected() -> None:
    ours, theirs = FakePaymentBackend(), FakePaymentBackend()
    invoice = await theirs.create_invoice(10, "m", reference="r")
    webhook = theirs.mark_paid(invoice.id)
    with pytest.raises(InvalidWebhook):
        await ours.parse_webhook(webhook.headers, webhook.body)


async def test_marking_an_unknown_invoice_fails() -> None:
    with pytest.raises(InvoiceNotFound):
        FakePaymentBackend().mark_paid("nope")


async def test_amount_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        await FakePaymentBackend().create_invoice(0, "m", reference="r")
