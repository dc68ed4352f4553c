"""The BTCPay backend against the Greenfield server on loopback: request shapes, signed
webhooks and what only BTCPay does (paid late, marked invalid, lazy payment methods)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from providers.payments.base import InvoiceStatus, PaymentEventKind
from providers.payments.btcpay import WEBHOOK_PATH, BtcpayBackend
from providers.payments.errors import (
    InvalidWebhook,
    InvoiceNotFound,
    PaymentBackendRejected,
    PaymentBackendUnavailable,
)
from tests.providers.payments.harness import (
    BTCPAY_KEY,
    BTCPAY_SECRET,
    BTCPAY_STORE,
    btcpay_backend,
)
from tests.services.btcpay_greenfield import FakeGreenfield
from tests.services.btcpay_shapes import SentDelivery
from tests.services.webhook_recorder import WebhookRecorder

Server = tuple[FakeGreenfield, str]


@pytest.fixture
async def backend(greenfield: Server) -> AsyncIterator[BtcpayBackend]:
    built = btcpay_backend(greenfield[1])
    await built.start()
    yield built
    await built.stop()


@pytest.fixture
def hooked(greenfield: Server, webhook_recorder: WebhookRecorder) -> FakeGreenfield:
    """The server with a store webhook pointing at our recorder."""
    greenfield[0].add_webhook(webhook_recorder.url + WEBHOOK_PATH, BTCPAY_SECRET)
    return greenfield[0]


def signed(body: bytes, secret: str = BTCPAY_SECRET) -> dict[str, str]:
    return {"BTCPay-Sig": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def of_type(sent: list[SentDelivery], event_type: str) -> SentDelivery:
    return next(d for d in sent if d.event["type"] == event_type)


async def test_create_sends_a_sats_lightning_invoice_with_our_reference(
    greenfield: Server, backend: BtcpayBackend
) -> None:
    server, _ = greenfield
    invoice = await backend.create_invoice(42, "2 images", reference="job:123")
    _, path, body = next(r for r in server.requests if r[0] == "POST")
    assert path == f"/api/v1/stores/{BTCPAY_STORE}/invoices"
    assert body == {
        "amount": "42",
        "currency": "SATS",
        "metadata": {"orderId": "job:123", "itemDesc": "2 images"},
        "checkout": {"paymentMethods": ["BTC-LN"], "expirationMinutes": 10},
    }
    assert invoice.bolt11 == server.invoices[invoice.id].bolt11
    paths = [r[1] for r in server.requests]
    assert f"/api/v1/stores/{BTCPAY_STORE}/invoices/{invoice.id}/payment-methods" in paths


async def test_expiry_is_rounded_up_to_whole_minutes(greenfield: Server) -> None:
    backend = btcpay_backend(greenfield[1], expiry_s=90)
    await backend.start()
    try:
        await backend.create_invoice(1, "m", reference="r")
    finally:
        await backend.stop()
    (_, _, body) = next(r for r in greenfield[0].requests if r[0] == "POST")
    assert body["checkout"]["expirationMinutes"] == 2


async def test_every_signed_event_type_maps_and_the_rest_is_ignored(
    hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    sent = await hooked.pay(invoice.id)
    kinds = {}
    for delivery in sent:
        event = await backend.parse_webhook(signed(delivery.body), delivery.body)
        assert event.invoice_id == invoice.id
        assert event.delivery_id == delivery.id
        kinds[delivery.event["type"]] = event.kind
    assert kinds == {
        "InvoiceReceivedPayment": PaymentEventKind.IGNORED,
        "InvoicePaymentSettled": PaymentEventKind.IGNORED,
        "InvoiceProcessing": PaymentEventKind.IGNORED,
        "InvoiceSettled": PaymentEventKind.SETTLED,
    }


async def test_paid_after_expiry_is_settled_late(
    hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    expired = of_type(await hooked.expire(invoice.id), "InvoiceExpired")
    expired_event = await backend.parse_webhook(signed(expired.body), expired.body)
    assert expired_event.kind is PaymentEventKind.EXPIRED
    sent = await hooked.pay(invoice.id)
    assert of_type(sent, "InvoicePaymentSettled").event["afterExpiration"] is True
    late = of_type(sent, "InvoicePaidAfterExpiration")
    event = await backend.parse_webhook(signed(late.body), late.body)
    assert (event.kind, event.paid_late) == (PaymentEventKind.SETTLED, True)
    paid = await backend.get_invoice(invoice.id)
    assert (paid.status, paid.paid_late, paid.amount_paid_sats) == (InvoiceStatus.PAID, True, 21)


async def test_overpaid_invoice_credits_what_was_paid(
    hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    await hooked.pay(invoice.id, amount_sats=30)
    assert (await backend.get_invoice(invoice.id)).amount_paid_sats == 30


async def test_partial_payment_is_still_pending_and_expires_unpaid(
    hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    await hooked.pay(invoice.id, amount_sats=5)
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.PENDING
    await hooked.expire(invoice.id)
    expired = await backend.get_invoice(invoice.id)
    assert (expired.status, expired.amount_paid_sats) == (InvoiceStatus.EXPIRED, 0)


async def test_invoice_marked_invalid(
    greenfield: Server, hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    async with httpx.AsyncClient(base_url=greenfield[1]) as client:
        response = await client.post(
            f"/api/v1/stores/{BTCPAY_STORE}/invoices/{invoice.id}/status",
            json={"status": "Invalid"},
            headers={"Authorization": f"token {BTCPAY_KEY}"},
        )
    assert response.status_code == 200
    delivery = of_type(list(hooked.deliveries.values()), "InvoiceInvalid")
    event = await backend.parse_webhook(signed(delivery.body), delivery.body)
    assert event.kind is PaymentEventKind.INVALID
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.INVALID


async def test_redelivery_through_the_api_reaches_us_as_the_same_event(
    greenfield: Server,
    hooked: FakeGreenfield,
    backend: BtcpayBackend,
    webhook_recorder: WebhookRecorder,
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    settled = of_type(await hooked.pay(invoice.id), "InvoiceSettled")
    webhook_id = settled.webhook_id
    async with httpx.AsyncClient(base_url=greenfield[1]) as client:
        response = await client.post(
            f"/api/v1/stores/{BTCPAY_STORE}/webhooks/{webhook_id}/deliveries/{settled.id}/redeliver",
            headers={"Authorization": f"token {BTCPAY_KEY}"},
        )
    new_id = response.json()
    assert new_id != settled.id
    received = await webhook_recorder.wait_for_body(WEBHOOK_PATH, new_id.encode())
    assert json.loads(received.body)["isRedelivery"] is True
    again = await backend.parse_webhook(received.headers, received.body)
    first = await backend.parse_webhook(signed(settled.body), settled.body)
    assert again == first
    assert again.delivery_id == new_id


async def test_bad_signatures_are_rejected(hooked: FakeGreenfield, backend: BtcpayBackend) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    settled = of_type(await hooked.pay(invoice.id), "InvoiceSettled")
    for headers in (
        {},
        {"BTCPay-Sig": ""},
        {"BTCPay-Sig": "sha1=abcd"},
        {"BTCPay-Sig": "sha256=" + "0" * 64},
        {"BTCPay-Sig": "sha256=not-hex"},
        {"X-Other": signed(settled.body)["BTCPay-Sig"]},
    ):
        with pytest.raises(InvalidWebhook):
            await backend.parse_webhook(headers, settled.body)


async def test_signature_with_another_secret_or_a_reformatted_body_is_rejected(
    hooked: FakeGreenfield, backend: BtcpayBackend
) -> None:
    invoice = await backend.create_invoice(21, "m", reference="r")
    body = of_type(await hooked.pay(invoice.id), "InvoiceSettled").body
    with pytest.raises(InvalidWebhook):
        await backend.parse_webhook(signed(body, "another-secret"), body)
    compact = json.dumps(json.loads(body)).encode()  # same JSON, other bytes
    with pytest.raises(InvalidWebhook):
        await backend.parse_webhook(signed(body), compact)
    # Header names are case-insensitive and the hex may come in upper case.
    upper = {"btcpay-sig": signed(body)["BTCPay-Sig"].upper().replace("SHA256=", "sha256=")}
    assert (await backend.parse_webhook(upper, body)).kind is PaymentEventKind.SETTLED


async def test_signed_event_of_another_store_is_rejected(backend: BtcpayBackend) -> None:
    body = json.dumps({"type": "InvoiceSettled", "invoiceId": "X", "storeId": "other"}).encode()
    with pytest.raises(InvalidWebhook) as caught:
        await backend.parse_webhook(signed(body), body)
    assert caught.value.reason == "event of another store"


async def test_signed_events_that_are_not_about_invoices_are_ignored(
    backend: BtcpayBackend,
) -> None:
    body = json.dumps({"type": "PayoutCreated", "storeId": BTCPAY_STORE, "payoutId": "p"})
    event = await backend.parse_webhook(signed(body.encode()), body.encode())
    assert event.kind is PaymentEventKind.IGNORED
    no_id = json.dumps({"type": "InvoiceSettled", "storeId": BTCPAY_STORE}).encode()
    with pytest.raises(InvalidWebhook):
        await backend.parse_webhook(signed(no_id), no_id)


async def test_lazy_payment_method_is_activated_for_its_bolt11(greenfield: Server) -> None:
    server, url = greenfield
    server.lazy_payment_methods = True
    backend = btcpay_backend(url)
    await backend.start()
    try:
        invoice = await backend.create_invoice(21, "m", reference="r")
    finally:
        await backend.stop()
    assert invoice.bolt11 == server.invoices[invoice.id].bolt11
    assert any(path.endswith("/payment-methods/BTC-LN/activate") for _, path, _ in server.requests)


async def test_store_without_lightning_is_rejected(
    greenfield: Server, backend: BtcpayBackend
) -> None:
    greenfield[0].payment_methods = {"BTC-CHAIN"}
    with pytest.raises(PaymentBackendRejected) as caught:
        await backend.create_invoice(21, "m", reference="r")
    assert caught.value.status_code == 422
    assert "checkout.paymentMethods[0]" in caught.value.detail


@pytest.mark.parametrize(
    ("api_key", "store", "status"), [("wrong-key", BTCPAY_STORE, 401), (BTCPAY_KEY, "other", 403)]
)
async def test_bad_credentials_are_rejected_without_echoing_the_key(
    greenfield: Server, api_key: str, store: str, status: int
) -> None:
    backend = btcpay_backend(greenfield[1], api_key=SecretStr(api_key), store_id=store)
    await backend.start()
    try:
        with pytest.raises(PaymentBackendRejected) as caught:
            await backend.create_invoice(21, "m", reference="r")
    finally:
        await backend.stop()
    assert caught.value.status_code == status
    assert api_key not in str(caught.value)


async def test_server_errors_are_unavailable_and_only_reads_are_retried(
    greenfield: Server, backend: BtcpayBackend
) -> None:
    server, _ = greenfield
    invoice = await backend.create_invoice(21, "m", reference="r")
    server.failure_status = 503
    server.requests.clear()
    with pytest.raises(PaymentBackendUnavailable):
        await backend.create_invoice(21, "m", reference="r")
    assert [m for m, _, _ in server.requests] == ["POST"]  # a create may have landed: once
    server.requests.clear()
    with pytest.raises(PaymentBackendUnavailable):
        await backend.get_invoice(invoice.id)
    assert [m for m, _, _ in server.requests] == ["GET", "GET"]  # FAST policy: 2 tries
    server.failure_status = None
    assert (await backend.get_invoice(invoice.id)).status is InvoiceStatus.PENDING


async def test_unknown_invoice_is_not_found(backend: BtcpayBackend) -> None:
    with pytest.raises(InvoiceNotFound):
        await backend.get_invoice("NoSuchInvoice")


async def test_calls_before_start_fail_clearly(greenfield: Server) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        await btcpay_backend(greenfield[1]).get_invoice("x")
