"""LNbits wallet API (``/api/v1/payments``) with a wallet's invoice key.

LNbits webhooks are unsigned and may arrive twice, so a webhook is only a hint: it names
a payment hash (``claimed_invoice_id``, which callers check against the invoices they
issued first) and the payment is then fetched with our key. Only a payment of our wallet
that LNbits itself reports as paid becomes a ``settled`` event, and the amount credited is
the one LNbits reports. The invoice id is the payment hash.

Refunds are paid out from the same wallet with its admin key (``admin_key``: optional;
without it the backend cannot pay out). The payout's payment hash names it: LNbits answers
``GET /api/v1/payments/{hash}`` with the wallet's own (outgoing) payment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from providers.payments.base import (
    Invoice,
    InvoiceStatus,
    PaymentBackend,
    PaymentEvent,
    PaymentEventKind,
    PayoutStatus,
    payout_hash,
)
from providers.payments.errors import (
    InvalidWebhook,
    InvoiceNotFound,
    PaymentBackendRejected,
    PaymentBackendUnavailable,
    PayoutsUnsupported,
)
from providers.payments.http import BackendHttp, HttpPolicy, error_detail

WEBHOOK_PATH = "/payments/lnbits/webhook"
_PAYMENT_HASH = re.compile(r"^[0-9a-f]{64}$")
_EVENT_BY_STATUS = {
    InvoiceStatus.PAID: PaymentEventKind.SETTLED,
    InvoiceStatus.EXPIRED: PaymentEventKind.EXPIRED,
    InvoiceStatus.INVALID: PaymentEventKind.INVALID,
}


class LnbitsBackend(PaymentBackend):
    name = "lnbits"

    def __init__(
        self,
        url: str,
        invoice_key: SecretStr,
        *,
        webhook_url: str | None,
        expiry_s: float = 900.0,
        policy: HttpPolicy | None = None,
        admin_key: SecretStr | None = None,
    ) -> None:
        """``webhook_url``: where LNbits posts paid invoices (PUBLIC_URL + WEBHOOK_PATH); None
        leaves it to the reconciliation that re-checks pending invoices. ``admin_key``: the
        same wallet's admin key, for refund payouts (None: no payouts)."""
        self.expiry_s = expiry_s
        self._webhook_url = webhook_url
        self._http = BackendHttp(
            self.name,
            url,
            {"X-Api-Key": invoice_key.get_secret_value(), "Accept": "application/json"},
            policy or HttpPolicy(),
        )
        self._admin: BackendHttp | None = None
        if admin_key is not None:
            self._admin = BackendHttp(
                self.name,
                url,
                {"X-Api-Key": admin_key.get_secret_value(), "Accept": "application/json"},
                policy or HttpPolicy(),
            )

    @property
    def webhook_url(self) -> str | None:
        return self._webhook_url

    async def start(self) -> None:
        await self._http.start()
        if self._admin is not None:
            await self._admin.start()

    async def stop(self) -> None:
        await self._http.stop()
        if self._admin is not None:
            await self._admin.stop()

    async def pay_invoice(self, bolt11: str, amount_sats: int) -> PayoutStatus:
        if self._admin is None:
            raise PayoutsUnsupported(self.name)
        payout_hash(self.name, bolt11, amount_sats)  # checked before anything is sent
        response = await self._admin.request(
            "POST", "/api/v1/payments", json={"out": True, "bolt11": bolt11}, repeatable=False
        )
        if response.status_code not in (200, 201):
            raise PaymentBackendRejected(self.name, response.status_code, error_detail(response))
        try:
            status = str(response.json().get("status", "pending"))
        except (ValueError, AttributeError):
            status = "pending"  # taken, answer unreadable: payout_status will tell
        if status == "failed":
            raise PaymentBackendRejected(self.name, response.status_code, "the payment failed")
        if status == "success":
            return PayoutStatus.PAID
        return PayoutStatus.PENDING  # in flight: payout_status tells how it ends

    async def payout_status(self, payment_hash: str) -> PayoutStatus:
        if self._admin is None:
            raise PayoutsUnsupported(self.name)
        if not _PAYMENT_HASH.fullmatch(payment_hash):
            return PayoutStatus.FAILED
        response = await self._admin.request(
            "GET", f"/api/v1/payments/{payment_hash}", repeatable=True
        )
        if response.status_code == 404:
            return PayoutStatus.FAILED  # LNbits never took it
        if response.status_code != 200:
            raise PaymentBackendRejected(self.name, response.status_code, error_detail(response))
        try:
            answer = response.json()
            details = answer.get("details") or {}
        except (ValueError, AttributeError) as exc:
            raise PaymentBackendUnavailable(self.name, "unreadable payment answer") from exc
        if not isinstance(details, dict) or int(details.get("amount") or 0) >= 0:
            return PayoutStatus.FAILED  # no outgoing payment of this wallet has that hash
        if answer.get("paid") or details.get("status") == "success":
            return PayoutStatus.PAID
        if details.get("status") == "failed" or answer.get("status") == "failed":
            return PayoutStatus.FAILED
        return PayoutStatus.PENDING

    async def create_invoice(self, amount_sats: int, memo: str, *, reference: str) -> Invoice:
        body: dict[str, Any] = {
            "out": False,
            "amount": amount_sats,
            "unit": "sat",
            "memo": memo,
            "expiry": max(1, round(self.expiry_s)),
            "extra": {"fulmine_reference": reference},
        }
        if self._webhook_url:
            body["webhook"] = self._webhook_url
        response = await self._http.request("POST", "/api/v1/payments", json=body, repeatable=False)
        if response.status_code not in (200, 201):
            # An unknown key answers 404 "Wallet not found."; a bad body 400 or 422.
            raise PaymentBackendRejected(self.name, response.status_code, error_detail(response))
        try:
            created = response.json()
            payment_hash = str(created["payment_hash"])
            bolt11 = str(created.get("bolt11") or created["payment_request"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentBackendUnavailable(self.name, "unreadable invoice answer") from exc
        expires_at = _parse_time(created.get("expiry")) or datetime.now(UTC) + timedelta(
            seconds=self.expiry_s
        )
        return Invoice(
            id=payment_hash,
            bolt11=bolt11,
            amount_sats=amount_sats,
            expires_at=expires_at,
            reference=reference,
        )

    async def get_invoice(self, invoice_id: str) -> Invoice:
        if not _PAYMENT_HASH.fullmatch(invoice_id):
            raise InvoiceNotFound(self.name, invoice_id)
        response = await self._http.request(
            "GET", f"/api/v1/payments/{invoice_id}", repeatable=True
        )
        if response.status_code == 404:
            raise InvoiceNotFound(self.name, invoice_id)
        if response.status_code != 200:
            raise PaymentBackendRejected(self.name, response.status_code, error_detail(response))
        try:
            answer = response.json()
        except ValueError as exc:
            raise PaymentBackendUnavailable(self.name, "unreadable payment answer") from exc
        details = answer.get("details") if isinstance(answer, dict) else None
        # LNbits adds "details" only when the key owns the payment: without them the hash
        # belongs to another wallet of the instance, which is not ours to credit.
        if not isinstance(details, dict) or int(details.get("amount") or 0) <= 0:
            raise InvoiceNotFound(self.name, invoice_id)
        return _invoice_from_details(invoice_id, bool(answer.get("paid")), details)

    async def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> PaymentEvent:
        payment_hash = _payment_hash_of(raw_body)
        if payment_hash is None:
            raise InvalidWebhook(self.name, "no payment hash in the body")
        try:
            invoice = await self.get_invoice(payment_hash)
        except InvoiceNotFound as exc:
            raise InvalidWebhook(self.name, "not a payment of this wallet") from exc
        kind = _EVENT_BY_STATUS.get(invoice.status)
        if kind is None:
            raise InvalidWebhook(self.name, "LNbits does not report the payment as paid")
        return PaymentEvent(invoice_id=invoice.id, kind=kind, paid_late=invoice.paid_late)

    def claimed_invoice_id(self, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        """The payment hash named in the body: unsigned, so nothing more can be told
        without asking LNbits (which ``parse_webhook`` does)."""
        return _payment_hash_of(raw_body)


def _invoice_from_details(invoice_id: str, paid: bool, details: dict[str, Any]) -> Invoice:
    amount_sats = int(details["amount"]) // 1000  # LNbits counts millisatoshis
    expires_at = _parse_time(details.get("expiry")) or datetime.now(UTC)
    status_text = str(details.get("status", "pending"))
    labels = details.get("labels") or []
    if paid or status_text == "success":
        status = InvoiceStatus.PAID
    elif status_text == "failed":
        # LNbits marks an unpaid invoice it found past its expiry "failed" + "expired".
        expired = "expired" in labels or expires_at <= datetime.now(UTC)
        status = InvoiceStatus.EXPIRED if expired else InvoiceStatus.INVALID
    elif expires_at <= datetime.now(UTC):
        status = InvoiceStatus.EXPIRED  # a Lightning invoice cannot be paid after its expiry
    else:
        status = InvoiceStatus.PENDING
    # An internal payment can land after the expiry until LNbits notices it has expired.
    settled_at = _parse_time(details.get("updated_at"))
    paid_late = status is InvoiceStatus.PAID and settled_at is not None and settled_at > expires_at
    extra = details.get("extra") or {}
    return Invoice(
        id=invoice_id,
        bolt11=str(details.get("bolt11") or details.get("payment_request") or ""),
        amount_sats=amount_sats,
        expires_at=expires_at,
        status=status,
        amount_paid_sats=amount_sats if status is InvoiceStatus.PAID else 0,
        paid_late=paid_late,
        reference=extra.get("fulmine_reference") if isinstance(extra, dict) else None,
    )


def _payment_hash_of(raw_body: bytes) -> str | None:
    """LNbits 1.x posts the payment JSON-encoded twice (a JSON string holding the object);
    older versions post the object itself. Either way only the hash is read."""
    try:
        body: Any = json.loads(raw_body)
        if isinstance(body, str):
            body = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = body.get("payment_hash") if isinstance(body, dict) else None
    return value if isinstance(value, str) and _PAYMENT_HASH.fullmatch(value) else None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # LNbits times are UTC
