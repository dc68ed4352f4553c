"""In-process payment backend for development and tests: real-format BOLT11 invoices
(regtest, signed with a throwaway key made at start-up) that nothing can really pay.

``mark_paid``, ``mark_expired`` and ``mark_invalid`` stand in for the payer and return the
webhook the service would send, signed with a per-instance secret; ``parse_webhook``
checks that signature like a real backend checks its service's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bolt11 import Bolt11, MilliSatoshi, TagChar, Tags, encode

from providers.payments.base import (
    Invoice,
    InvoiceStatus,
    PaymentBackend,
    PaymentEvent,
    PaymentEventKind,
    PayoutStatus,
    lower_keys,
    payout_hash,
)
from providers.payments.errors import (
    InvalidWebhook,
    InvoiceNotFound,
    PaymentBackendUnavailable,
)

SIGNATURE_HEADER = "fulmine-fake-sig"
_KIND_BY_STATUS = {
    InvoiceStatus.PAID: PaymentEventKind.SETTLED,
    InvoiceStatus.EXPIRED: PaymentEventKind.EXPIRED,
    InvoiceStatus.INVALID: PaymentEventKind.INVALID,
}


@dataclass(frozen=True, slots=True)
class FakeWebhook:
    """What the fake service would POST to ``/payments/fake/webhook``."""

    headers: dict[str, str]
    body: bytes


class FakePaymentBackend(PaymentBackend):
    name = "fake"

    def __init__(self, expiry_s: float = 900.0, clock: Callable[[], float] = time.time) -> None:
        self.expiry_s = expiry_s
        self._clock = clock
        self._node_key = os.urandom(32).hex()  # throwaway: these invoices are never payable
        self._webhook_secret = secrets.token_bytes(32)
        self._invoices: dict[str, Invoice] = {}
        self._preimages: dict[str, bytes] = {}
        self.payouts: list[tuple[str, int]] = []  # (BOLT11, sats) paid out, in order
        self._payout_statuses: dict[str, PayoutStatus] = {}
        # Tests: (answer lost?, status the payout is left in) for the next payouts.
        self.payout_fault: tuple[bool, PayoutStatus] | None = None
        self._outage = False

    def simulate_outage(self, down: bool = True) -> None:
        """Make every call fail as if the service were unreachable (tests, demos)."""
        self._outage = down

    async def create_invoice(self, amount_sats: int, memo: str, *, reference: str) -> Invoice:
        self._check_up()
        if amount_sats <= 0:
            raise ValueError("amount_sats must be positive")
        now = self._clock()
        preimage = os.urandom(32)
        payment_hash = hashlib.sha256(preimage).hexdigest()
        tags = Tags()
        tags.add(TagChar.payment_hash, payment_hash)
        tags.add(TagChar.payment_secret, os.urandom(32).hex())
        tags.add(TagChar.description, memo)
        tags.add(TagChar.expire_time, max(1, round(self.expiry_s)))
        tags.add(TagChar.min_final_cltv_expiry, 18)
        request = Bolt11(
            currency="bcrt",  # regtest: no real wallet would pay it
            date=int(now),
            tags=tags,
            amount_msat=MilliSatoshi(amount_sats * 1000),
        )
        invoice = Invoice(
            id=payment_hash,
            bolt11=encode(request, self._node_key),
            amount_sats=amount_sats,
            expires_at=datetime.fromtimestamp(now + self.expiry_s, UTC),
            reference=reference,
        )
        self._invoices[invoice.id] = invoice
        self._preimages[invoice.id] = preimage
        return invoice

    async def pay_invoice(self, bolt11: str, amount_sats: int) -> PayoutStatus:
        self._check_up()
        payment_hash = payout_hash(self.name, bolt11, amount_sats)
        if self.payout_fault is not None:
            status = self._payout_statuses[payment_hash] = self.payout_fault[1]
            if self.payout_fault[0]:
                raise PaymentBackendUnavailable(self.name, "simulated lost answer")
            return status
        self._payout_statuses[payment_hash] = PayoutStatus.PAID
        self.payouts.append((bolt11, amount_sats))
        return PayoutStatus.PAID

    async def payout_status(self, payment_hash: str) -> PayoutStatus:
        self._check_up()
        return self._payout_statuses.get(payment_hash, PayoutStatus.FAILED)

    def settle_payout(self, payment_hash: str, status: PayoutStatus) -> None:
        """What became of a payout left pending (or whose answer was lost), for tests."""
        self._payout_statuses[payment_hash] = status

    async def get_invoice(self, invoice_id: str) -> Invoice:
        self._check_up()
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise InvoiceNotFound(self.name, invoice_id)
        if invoice.status is InvoiceStatus.PENDING and self._expired(invoice):
            invoice = self._invoices[invoice_id] = replace(invoice, status=InvoiceStatus.EXPIRED)
        return invoice

    async def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> PaymentEvent:
        signature = lower_keys(headers).get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(signature.encode(), self._sign(raw_body).encode()):
            raise InvalidWebhook(self.name, "bad or missing signature")
        try:
            body = json.loads(raw_body)
            event = PaymentEvent(
                invoice_id=str(body["invoice_id"]),
                kind=PaymentEventKind(body["kind"]),
                paid_late=bool(body.get("paid_late", False)),
                delivery_id=str(body["delivery_id"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(self.name, "malformed body") from exc
        if event.invoice_id not in self._invoices:
            raise InvalidWebhook(self.name, "unknown invoice")
        return event

    def claimed_invoice_id(self, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        signature = lower_keys(headers).get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(signature.encode(), self._sign(raw_body).encode()):
            return None
        try:
            invoice_id = json.loads(raw_body).get("invoice_id")
        except (ValueError, RecursionError, AttributeError):
            return None
        return invoice_id if isinstance(invoice_id, str) and invoice_id else None

    # The payer's side, for tests and `fulmine chat`.

    def mark_paid(self, invoice_id: str, amount_sats: int | None = None) -> FakeWebhook:
        """Settle it (paid late if it had expired); ``amount_sats`` defaults to the full
        amount. A paid invoice stays as it was."""
        invoice = self._known(invoice_id)
        if invoice.status is not InvoiceStatus.PAID:
            late = invoice.status is InvoiceStatus.EXPIRED or self._expired(invoice)
            paid = invoice.amount_sats if amount_sats is None else amount_sats
            invoice = replace(
                invoice, status=InvoiceStatus.PAID, amount_paid_sats=paid, paid_late=late
            )
            self._invoices[invoice_id] = invoice
        return self._webhook(invoice)

    def preimage(self, invoice_id: str) -> str:
        """What a payer learns by paying (hex): only once the invoice is paid."""
        if self._known(invoice_id).status is not InvoiceStatus.PAID:
            raise ValueError("an unpaid invoice reveals no preimage")
        return self._preimages[invoice_id].hex()

    def mark_expired(self, invoice_id: str) -> FakeWebhook:
        return self._finish(invoice_id, InvoiceStatus.EXPIRED)

    def mark_invalid(self, invoice_id: str) -> FakeWebhook:
        return self._finish(invoice_id, InvoiceStatus.INVALID)

    def redeliver(self, webhook: FakeWebhook) -> FakeWebhook:
        """The same event again under a new delivery id, as services re-send."""
        body = json.loads(webhook.body)
        return self._signed({**body, "delivery_id": secrets.token_hex(8)})

    def _finish(self, invoice_id: str, status: InvoiceStatus) -> FakeWebhook:
        invoice = self._known(invoice_id)
        if invoice.status is InvoiceStatus.PENDING:
            invoice = self._invoices[invoice_id] = replace(invoice, status=status)
        return self._webhook(invoice)

    def _webhook(self, invoice: Invoice) -> FakeWebhook:
        kind = _KIND_BY_STATUS.get(invoice.status, PaymentEventKind.IGNORED)
        body = {"invoice_id": invoice.id, "kind": kind.value, "paid_late": invoice.paid_late}
        return self._signed({**body, "delivery_id": secrets.token_hex(8)})

    def _signed(self, body: dict[str, object]) -> FakeWebhook:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Fulmine-Fake-Sig": self._sign(raw)}
        return FakeWebhook(headers=headers, body=raw)

    def _sign(self, raw_body: bytes) -> str:
        return hmac.new(self._webhook_secret, raw_body, hashlib.sha256).hexdigest()

    def _known(self, invoice_id: str) -> Invoice:
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise InvoiceNotFound(self.name, invoice_id)
        return invoice

    def _expired(self, invoice: Invoice) -> bool:
        return self._clock() >= invoice.expires_at.timestamp()

    def _check_up(self) -> None:
        if self._outage:
            raise PaymentBackendUnavailable(self.name, "simulated outage")
