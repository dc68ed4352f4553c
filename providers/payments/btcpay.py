"""BTCPay Server Greenfield API: invoices in SATS restricted to Lightning (``BTC-LN``).

Authentication is ``Authorization: token <api key>`` (a key with the store's
``btcpay.store.cancreateinvoice`` and ``btcpay.store.canviewinvoices`` permissions). The
BOLT11 comes from the invoice's payment methods. Webhooks are signed: ``BTCPay-Sig:
sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>``. BTCPay re-sends an event
with a new ``deliveryId``, so events are keyed by invoice id. Per BTCPay's invoice watcher,
an invoice paid after expiry stays ``Expired`` with ``additionalStatus: PaidLate`` and
fires ``InvoicePaidAfterExpiration`` (not ``InvoiceSettled``): both count as settled.

Refunds are paid from the store's Lightning node (``POST .../lightning/BTC/invoices/pay``,
the key needs ``btcpay.store.canuselightningnode``): 200 with ``status: Complete`` is paid,
202 is taken but unfinished; ``GET .../lightning/BTC/payments/{hash}`` tells the rest (404
``payment-not-found``: the node never took it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

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
    PaymentBackendRejected,
    PaymentBackendUnavailable,
    PayoutsUnsupported,
)
from providers.payments.http import BackendHttp, HttpPolicy, error_detail

WEBHOOK_PATH = "/payments/btcpay/webhook"
LIGHTNING = "BTC-LN"
SIGNATURE_HEADER = "btcpay-sig"
_EVENTS = {
    "InvoiceSettled": (PaymentEventKind.SETTLED, False),
    "InvoicePaidAfterExpiration": (PaymentEventKind.SETTLED, True),
    "InvoiceExpired": (PaymentEventKind.EXPIRED, False),
    "InvoiceInvalid": (PaymentEventKind.INVALID, False),
}


class BtcpayBackend(PaymentBackend):
    name = "btcpay"

    def __init__(
        self,
        url: str,
        api_key: SecretStr,
        store_id: str,
        webhook_secret: SecretStr,
        *,
        expiry_s: float = 900.0,
        policy: HttpPolicy | None = None,
    ) -> None:
        self.expiry_s = expiry_s
        self._store = quote(store_id, safe="")
        self._store_id = store_id
        self._secret = webhook_secret.get_secret_value().encode()
        self._http = BackendHttp(
            self.name,
            url,
            {"Authorization": f"token {api_key.get_secret_value()}", "Accept": "application/json"},
            policy or HttpPolicy(),
        )

    async def start(self) -> None:
        await self._http.start()

    async def stop(self) -> None:
        await self._http.stop()

    async def create_invoice(self, amount_sats: int, memo: str, *, reference: str) -> Invoice:
        body = {
            "amount": str(amount_sats),
            "currency": "SATS",
            "metadata": {"orderId": reference, "itemDesc": memo},
            "checkout": {
                "paymentMethods": [LIGHTNING],
                # Greenfield reads whole minutes (at least 30 s): round up.
                "expirationMinutes": max(1, math.ceil(self.expiry_s / 60)),
            },
        }
        response = await self._http.request(
            "POST", f"/api/v1/stores/{self._store}/invoices", json=body, repeatable=False
        )
        self._raise_for_status(response)
        return await self._with_bolt11(_json_object(self.name, response), creating=True)

    async def pay_invoice(self, bolt11: str, amount_sats: int) -> PayoutStatus:
        payout_hash(self.name, bolt11, amount_sats)  # checked before anything is sent
        response = await self._http.request(
            "POST", f"{self._lightning}/invoices/pay", json={"BOLT11": bolt11}, repeatable=False
        )
        if response.status_code == 404 and _error_code(response) == "lightning-not-configured":
            raise PayoutsUnsupported(self.name)
        self._raise_for_status(response)
        if response.status_code == 200 and _payment_status(response) == "Complete":
            return PayoutStatus.PAID
        return PayoutStatus.PENDING  # 202: taken, not finished; payout_status tells the rest

    async def payout_status(self, payment_hash: str) -> PayoutStatus:
        response = await self._http.request(
            "GET", f"{self._lightning}/payments/{quote(payment_hash, safe='')}", repeatable=True
        )
        if response.status_code == 404 and _error_code(response) == "payment-not-found":
            return PayoutStatus.FAILED
        self._raise_for_status(response)
        return _PAYOUT_STATUS.get(_payment_status(response), PayoutStatus.PENDING)

    @property
    def _lightning(self) -> str:
        return f"/api/v1/stores/{self._store}/lightning/BTC"

    async def get_invoice(self, invoice_id: str) -> Invoice:
        response = await self._http.request("GET", self._invoice_path(invoice_id), repeatable=True)
        self._raise_for_status(response, invoice_id)
        return await self._with_bolt11(_json_object(self.name, response), creating=False)

    def claimed_invoice_id(self, headers: Mapping[str, str], raw_body: bytes) -> str | None:
        """The ``invoiceId`` of a correctly signed event (None: unsigned, or none named)."""
        try:
            invoice_id = self._signed_event(headers, raw_body).get("invoiceId")
        except InvalidWebhook:
            return None
        return invoice_id if isinstance(invoice_id, str) and invoice_id else None

    def _signed_event(self, headers: Mapping[str, str], raw_body: bytes) -> dict[str, Any]:
        signature = lower_keys(headers).get(SIGNATURE_HEADER, "")
        if not signature.startswith("sha256="):
            raise InvalidWebhook(self.name, "missing BTCPay-Sig")
        expected = hmac.new(self._secret, raw_body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(
            signature.removeprefix("sha256=").lower().encode(), expected.encode()
        ):
            raise InvalidWebhook(self.name, "signature mismatch")
        try:
            event = json.loads(raw_body)
        except (ValueError, RecursionError) as exc:
            raise InvalidWebhook(self.name, "body is not JSON") from exc
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise InvalidWebhook(self.name, "not a webhook event")
        return event

    async def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> PaymentEvent:
        event = self._signed_event(headers, raw_body)
        store_id = event.get("storeId")
        if store_id is not None and store_id != self._store_id:
            raise InvalidWebhook(self.name, "event of another store")
        kind, paid_late = _EVENTS.get(event["type"], (PaymentEventKind.IGNORED, False))
        invoice_id = event.get("invoiceId")
        if not isinstance(invoice_id, str) or not invoice_id:
            if kind is not PaymentEventKind.IGNORED:
                raise InvalidWebhook(self.name, "invoice event without invoiceId")
            invoice_id = ""  # payouts, payment requests...: authentic, not ours to act on
        delivery = event.get("deliveryId")
        return PaymentEvent(
            invoice_id=invoice_id,
            kind=kind,
            paid_late=paid_late,
            delivery_id=str(delivery) if delivery is not None else None,
        )

    async def _with_bolt11(self, data: dict[str, Any], *, creating: bool) -> Invoice:
        invoice_id = str(data.get("id", ""))
        methods = await self._payment_methods(invoice_id)
        lightning = next((m for m in methods if m.get("paymentMethodId") == LIGHTNING), None)
        if creating and lightning is not None and not lightning.get("activated", True):
            # Stores with "lazy payment methods" create the BOLT11 only when asked.
            response = await self._http.request(
                "POST",
                f"{self._invoice_path(invoice_id)}/payment-methods/{LIGHTNING}/activate",
                repeatable=True,
            )
            self._raise_for_status(response, invoice_id)
            methods = await self._payment_methods(invoice_id)
            lightning = next((m for m in methods if m.get("paymentMethodId") == LIGHTNING), None)
        bolt11 = str(lightning.get("destination") or "") if lightning else ""
        if creating and not bolt11:
            raise PaymentBackendRejected(
                self.name, None, f"the store offers no {LIGHTNING} payment method (Lightning setup)"
            )
        return _invoice_from_data(self.name, data, bolt11)

    async def _payment_methods(self, invoice_id: str) -> list[dict[str, Any]]:
        response = await self._http.request(
            "GET", f"{self._invoice_path(invoice_id)}/payment-methods", repeatable=True
        )
        self._raise_for_status(response, invoice_id)
        try:
            methods = response.json()
        except ValueError as exc:
            raise PaymentBackendUnavailable(self.name, "unreadable payment methods") from exc
        return [m for m in methods if isinstance(m, dict)] if isinstance(methods, list) else []

    def _invoice_path(self, invoice_id: str) -> str:
        return f"/api/v1/stores/{self._store}/invoices/{quote(invoice_id, safe='')}"

    def _raise_for_status(self, response: httpx.Response, invoice_id: str | None = None) -> None:
        if response.is_success:
            return
        code = _error_code(response)
        if response.status_code == 404 and invoice_id is not None and code == "invoice-not-found":
            raise InvoiceNotFound(self.name, invoice_id)
        raise PaymentBackendRejected(self.name, response.status_code, error_detail(response))


def _invoice_from_data(backend: str, data: dict[str, Any], bolt11: str) -> Invoice:
    try:
        amount = _sats(data["amount"])
        paid = _sats(data.get("paidAmount", "0"))
        expires_at = datetime.fromtimestamp(int(data["expirationTime"]), UTC)
        state, additional = str(data["status"]), str(data.get("additionalStatus", "None"))
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise PaymentBackendUnavailable(backend, "unreadable invoice") from exc
    paid_late = state == "Expired" and additional == "PaidLate"
    if state == "Settled" or paid_late:
        status = InvoiceStatus.PAID
        paid = paid or amount  # older servers omit paidAmount
    elif state == "Expired":
        status = InvoiceStatus.EXPIRED
    elif state == "Invalid":
        status = InvoiceStatus.INVALID
    else:  # New, Processing
        status = InvoiceStatus.PENDING
    metadata = data.get("metadata") or {}
    reference = metadata.get("orderId") if isinstance(metadata, dict) else None
    return Invoice(
        id=str(data["id"]),
        bolt11=bolt11,
        amount_sats=amount,
        expires_at=expires_at,
        status=status,
        amount_paid_sats=paid if status is InvoiceStatus.PAID else 0,
        paid_late=paid_late,
        reference=str(reference) if reference is not None else None,
    )


_PAYOUT_STATUS = {"Complete": PayoutStatus.PAID, "Failed": PayoutStatus.FAILED}


def _payment_status(response: httpx.Response) -> str:
    """``LightningPaymentData.status``: Unknown, Pending, Complete or Failed."""
    try:
        data = response.json()
    except ValueError:
        return "Unknown"
    return str(data.get("status", "Unknown")) if isinstance(data, dict) else "Unknown"


def _sats(value: object) -> int:
    """Greenfield writes decimals as strings; SATS invoices have no fractional part."""
    return int(Decimal(str(value)))


def _json_object(backend: str, response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise PaymentBackendUnavailable(backend, "unreadable answer") from exc
    if not isinstance(data, dict):
        raise PaymentBackendUnavailable(backend, "unexpected answer")
    return data


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None
