"""One driver per backend for the shared contract tests: it plays the payer and the
service's webhook sender, so the same test runs over fake, BTCPay and LNbits."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from providers.payments.base import Invoice, InvoiceStatus, PaymentBackend
from providers.payments.btcpay import WEBHOOK_PATH as BTCPAY_WEBHOOK_PATH
from providers.payments.btcpay import BtcpayBackend
from providers.payments.fake import FakePaymentBackend
from providers.payments.http import HttpPolicy
from providers.payments.lnbits import WEBHOOK_PATH as LNBITS_WEBHOOK_PATH
from providers.payments.lnbits import LnbitsBackend
from tests.services.btcpay_greenfield import FakeGreenfield
from tests.services.lnbits_server import LnbitsInstance
from tests.services.webhook_recorder import Delivery, WebhookRecorder

FAST = HttpPolicy(timeout_s=5.0, attempts=2, backoff_s=0.01)
BTCPAY_KEY = "greenfield-api-key-0123456789abcdef"
BTCPAY_STORE = "9CxQ3tRbC1mWnvLz7FJSHu"
BTCPAY_SECRET = "webhook-secret-abcdef"


@dataclass(frozen=True)
class Webhook:
    headers: dict[str, str]
    body: bytes


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class Harness(ABC):
    name: str
    backend: PaymentBackend
    sends_expiry_webhook = True  # LNbits only calls its webhook for payments

    @abstractmethod
    async def pay(self, invoice: Invoice) -> Webhook:
        """Pay in full; the settlement webhook as the service sent it."""

    @abstractmethod
    async def redeliver(self, webhook: Webhook) -> Webhook:
        """The service sending the same event again."""

    @abstractmethod
    async def expired_invoice(self) -> tuple[Invoice, Webhook | None]:
        """An invoice that expired unpaid, and the expiry webhook if the service sends one."""

    @abstractmethod
    def forged_settlement(self, invoice: Invoice) -> Webhook:
        """A webhook the service did not send, claiming the invoice was paid."""

    @abstractmethod
    def unreachable_backend(self) -> PaymentBackend:
        """The same backend with its service down (not started)."""

    async def new_invoice(self, amount_sats: int = 21) -> Invoice:
        return await self.backend.create_invoice(amount_sats, "contract test", reference="ref-1")


class FakeHarness(Harness):
    name = "fake"

    def __init__(self) -> None:
        self.fake = FakePaymentBackend(expiry_s=600)
        self.backend = self.fake

    async def pay(self, invoice: Invoice) -> Webhook:
        sent = self.fake.mark_paid(invoice.id)
        return Webhook(sent.headers, sent.body)

    async def redeliver(self, webhook: Webhook) -> Webhook:
        from providers.payments.fake import FakeWebhook

        sent = self.fake.redeliver(FakeWebhook(webhook.headers, webhook.body))
        return Webhook(sent.headers, sent.body)

    async def expired_invoice(self) -> tuple[Invoice, Webhook | None]:
        invoice = await self.new_invoice()
        sent = self.fake.mark_expired(invoice.id)
        return invoice, Webhook(sent.headers, sent.body)

    def forged_settlement(self, invoice: Invoice) -> Webhook:
        body = json.dumps({"invoice_id": invoice.id, "kind": "settled", "delivery_id": "x"})
        forged_sig = hmac.new(b"guessed", body.encode(), hashlib.sha256).hexdigest()
        return Webhook({"Fulmine-Fake-Sig": forged_sig}, body.encode())

    def unreachable_backend(self) -> PaymentBackend:
        down = FakePaymentBackend()
        down.simulate_outage()
        return down


class BtcpayHarness(Harness):
    name = "btcpay"

    def __init__(self, greenfield: FakeGreenfield, url: str, recorder: WebhookRecorder) -> None:
        self.greenfield = greenfield
        self.recorder = recorder
        greenfield.add_webhook(recorder.url + BTCPAY_WEBHOOK_PATH, BTCPAY_SECRET)
        self.backend = btcpay_backend(url)

    async def pay(self, invoice: Invoice) -> Webhook:
        sent = await self.greenfield.pay(invoice.id)
        return self._received(next(d for d in sent if d.event["type"] == "InvoiceSettled").id)

    async def redeliver(self, webhook: Webhook) -> Webhook:
        again = await self.greenfield.redeliver(json.loads(webhook.body)["deliveryId"])
        return self._received(again.id)

    async def expired_invoice(self) -> tuple[Invoice, Webhook | None]:
        invoice = await self.new_invoice()
        (sent,) = await self.greenfield.expire(invoice.id)
        return invoice, self._received(sent.id)

    def forged_settlement(self, invoice: Invoice) -> Webhook:
        event = {"deliveryId": "forged", "type": "InvoiceSettled", "invoiceId": invoice.id}
        body = json.dumps(event, indent=2).encode()
        sig = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
        return Webhook({"BTCPay-Sig": f"sha256={sig}"}, body)

    def unreachable_backend(self) -> PaymentBackend:
        return btcpay_backend(closed_port_url())

    def _received(self, delivery_id: str) -> Webhook:
        """What actually reached our endpoint over HTTP for that delivery."""
        for delivery in self.recorder.at(BTCPAY_WEBHOOK_PATH):
            if json.loads(delivery.body)["deliveryId"] == delivery_id:
                return Webhook(delivery.headers, delivery.body)
        raise AssertionError(f"delivery {delivery_id} never reached the webhook endpoint")


def btcpay_backend(url: str, **overrides: Any) -> BtcpayBackend:
    values: dict[str, Any] = {
        "url": url,
        "api_key": SecretStr(BTCPAY_KEY),
        "store_id": BTCPAY_STORE,
        "webhook_secret": SecretStr(BTCPAY_SECRET),
        "expiry_s": 600,
        "policy": FAST,
        **overrides,
    }
    return BtcpayBackend(**values)


class LnbitsHarness(Harness):
    name = "lnbits"
    sends_expiry_webhook = False

    def __init__(self, lnbits: LnbitsInstance, recorder: WebhookRecorder) -> None:
        self.lnbits = lnbits
        self.recorder = recorder
        self.backend = lnbits_backend(lnbits, recorder)

    async def pay(self, invoice: Invoice) -> Webhook:
        response = await self.lnbits.pay(invoice.bolt11)
        assert response.status_code == 201, response.text
        delivery = await self._delivery_for(invoice.id)
        return Webhook(delivery.headers, delivery.body)

    async def redeliver(self, webhook: Webhook) -> Webhook:
        return webhook  # LNbits' duplicates are the same request sent again

    async def expired_invoice(self) -> tuple[Invoice, Webhook | None]:
        # A Lightning invoice carries its expiry: make a one-second one and wait it out.
        short = lnbits_backend(self.lnbits, self.recorder, expiry_s=1)
        await short.start()
        try:
            invoice = await short.create_invoice(21, "expiring", reference="ref-1")
            for _ in range(50):
                if (await short.get_invoice(invoice.id)).status is InvoiceStatus.EXPIRED:
                    break
                await asyncio.sleep(0.1)
        finally:
            await short.stop()
        return invoice, None

    def forged_settlement(self, invoice: Invoice) -> Webhook:
        # The shape LNbits posts (its payment JSON, encoded as a JSON string), claiming success.
        payment = {"payment_hash": invoice.id, "amount": invoice.amount_sats * 1000}
        body = json.dumps(json.dumps({**payment, "status": "success", "bolt11": invoice.bolt11}))
        return Webhook({"Content-Type": "application/json"}, body.encode())

    def unreachable_backend(self) -> PaymentBackend:
        return LnbitsBackend(
            closed_port_url(), SecretStr("key"), webhook_url=None, expiry_s=600, policy=FAST
        )

    async def _delivery_for(self, invoice_id: str) -> Delivery:
        return await self.recorder.wait_for_body(LNBITS_WEBHOOK_PATH, invoice_id.encode())


def lnbits_backend(
    lnbits: LnbitsInstance, recorder: WebhookRecorder, expiry_s: float = 600
) -> LnbitsBackend:
    return LnbitsBackend(
        lnbits.url,
        SecretStr(lnbits.bot.invoice_key),
        webhook_url=recorder.url + LNBITS_WEBHOOK_PATH,
        expiry_s=expiry_s,
        policy=FAST,
    )
