"""The payment backend interface: Lightning invoices in sats and their webhooks.

Contract for every backend:

- ``start()`` and ``stop()`` are idempotent; a backend opens its HTTP client in ``start``
  and every other method needs it started (``RuntimeError`` otherwise).
- ``create_invoice(amount_sats, memo, *, reference)`` asks the service for a BOLT11
  invoice of exactly ``amount_sats`` that expires after the backend's configured expiry.
  ``reference`` is ours (a top-up or job key) and is stored with the invoice where the
  service allows it. It is not retried once the request may have reached the service.
- ``get_invoice(invoice_id)`` is the authority on an invoice: its status (pending, paid,
  expired, invalid) and ``amount_paid_sats``, the amount actually received, which is what
  gets credited. A paid invoice stays paid. Unknown id: ``InvoiceNotFound``.
- ``parse_webhook(headers, raw_body)`` verifies that a webhook really comes from the
  service (a signature, or asking the service itself when webhooks are unsigned) and
  returns a :class:`PaymentEvent`; anything unverifiable raises ``InvalidWebhook`` and
  reports nothing as paid. Services re-send webhooks (new delivery ids, duplicates): the
  event is keyed by invoice id and kind, so every re-delivery yields an equal event and the
  caller applies it once. Events are hints: credit ``get_invoice(...).amount_paid_sats``.
- ``claimed_invoice_id(headers, raw_body)`` (no I/O, never raises) is the invoice id a
  webhook claims to be about, as far as can be told without asking the service: after the
  checks a backend makes on its own (a signature), before any it makes by calling the
  service. None when those fail or the body names no invoice; then ``parse_webhook`` makes
  no call to the service either. Callers drop webhooks about invoices they never issued
  before ``parse_webhook``, so an anonymous sender cannot make us call the service.
- ``pay_invoice(bolt11, amount_sats)`` pays someone else's BOLT11 invoice of exactly
  ``amount_sats`` (a refund): ``PayoutStatus.PAID`` once paid, ``PENDING`` when the
  service took the payment but has not finished it (a route still being tried); an
  invoice of another amount is ``PaymentBackendRejected``, and so is a payment the service
  refused (then nothing was sent). No answer (``PaymentBackendUnavailable``) leaves the
  outcome unknown: ask ``payout_status``. A backend that cannot pay out raises
  ``PayoutsUnsupported`` (the default). Not retried.
- ``payout_status(payment_hash)`` is the authority on a payout made by ``pay_invoice``:
  ``PAID``, ``PENDING``, or ``FAILED`` (refused, or unknown to the service: it never got
  there, so nothing was sent). ``PayoutsUnsupported`` where ``pay_invoice`` is.
- Errors: ``PaymentBackendUnavailable`` (down, timeout, 5xx: try later),
  ``PaymentBackendRejected`` (credentials, permissions, validation: retrying cannot help),
  ``InvoiceNotFound``, ``InvalidWebhook``. A backend only translates: it maps its service's
  errors to these with ``raise X(...) from exc`` and never logs or sends its secrets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bolt11 import decode

from providers.payments.errors import PaymentBackendRejected, PayoutsUnsupported


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"  # unpaid when it expired; costs nothing
    INVALID = "invalid"  # the service gave up on it (marked invalid, failed)


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str  # the service's id (LNbits and fake: the payment hash)
    bolt11: str
    amount_sats: int
    expires_at: datetime  # timezone-aware, UTC
    status: InvoiceStatus = InvoiceStatus.PENDING
    amount_paid_sats: int = 0
    paid_late: bool = False  # paid after it had expired (BTCPay "PaidLate")
    reference: str | None = None


class PayoutStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"  # sent, not finished: ask again later
    FAILED = "failed"  # nothing was sent


class PaymentEventKind(StrEnum):
    SETTLED = "settled"  # paid, on time or late
    EXPIRED = "expired"
    INVALID = "invalid"
    IGNORED = "ignored"  # authentic, but nothing to do (created, processing, ...)


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    invoice_id: str
    kind: PaymentEventKind
    paid_late: bool = False
    # For logs only: re-deliveries differ here and are still equal events.
    delivery_id: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Idempotency key: one per invoice and outcome, whatever the delivery."""
        return f"{self.invoice_id}:{self.kind.value}"


class PaymentBackend(ABC):
    name: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients; idempotent."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close clients; idempotent."""

    @abstractmethod
    async def create_invoice(self, amount_sats: int, memo: str, *, reference: str) -> Invoice: ...

    @abstractmethod
    async def get_invoice(self, invoice_id: str) -> Invoice: ...

    @abstractmethod
    async def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> PaymentEvent: ...

    async def pay_invoice(self, bolt11: str, amount_sats: int) -> PayoutStatus:
        raise PayoutsUnsupported(self.name)

    async def payout_status(self, payment_hash: str) -> PayoutStatus:
        raise PayoutsUnsupported(self.name)

    @abstractmethod
    def claimed_invoice_id(self, headers: Mapping[str, str], raw_body: bytes) -> str | None: ...


def payout_hash(backend: str, bolt11: str, amount_sats: int) -> str:
    """The payment hash of a BOLT11 invoice for exactly ``amount_sats``;
    ``PaymentBackendRejected`` for anything else (a malformed string, another amount)."""
    try:
        decoded = decode(bolt11)
    except Exception as exc:  # bolt11 raises many types on a malformed string
        raise PaymentBackendRejected(backend, None, "not a BOLT11 invoice") from exc
    msat = decoded.amount_msat
    if msat is None or int(msat) != amount_sats * 1000:
        raise PaymentBackendRejected(backend, None, "invoice amount differs")
    return str(decoded.payment_hash)


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP header names are case-insensitive; backends look them up in lower case."""
    return {name.lower(): value for name, value in headers.items()}
