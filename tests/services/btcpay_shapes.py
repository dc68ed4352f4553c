"""BTCPay Greenfield JSON shapes, after ``BTCPayServer.Client/Models`` (InvoiceData,
InvoicePaymentMethodDataModel, GreenfieldAPIError): decimals as strings, times as unix
seconds, camelCase names."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse


@dataclass
class FakeInvoice:
    id: str
    store_id: str
    amount: int
    currency: str
    metadata: dict[str, Any]
    methods: list[str]
    created: int
    expires: int
    bolt11: str
    payment_hash: str
    activated: bool
    status: str = "New"
    additional_status: str = "None"
    paid: int = 0


@dataclass
class Webhook:
    id: str
    url: str
    secret: str


@dataclass
class SentDelivery:
    id: str
    webhook_id: str
    event: dict[str, Any]
    status_code: int | None = None
    body: bytes = field(default=b"", repr=False)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def invoice_data(invoice: FakeInvoice, base_url: str) -> dict[str, Any]:
    statuses = ["Settled", "Invalid"] if invoice.status in ("New", "Expired") else []
    return {
        "id": invoice.id,
        "storeId": invoice.store_id,
        "amount": str(invoice.amount),
        "paidAmount": str(invoice.paid),
        "currency": invoice.currency,
        "type": "Standard",
        "checkoutLink": f"{base_url}i/{invoice.id}",
        "createdTime": invoice.created,
        "expirationTime": invoice.expires,
        "monitoringExpiration": invoice.expires + 86400,
        "status": invoice.status,
        "additionalStatus": invoice.additional_status,
        "availableStatusesForManualMarking": statuses,
        "archived": False,
        "metadata": invoice.metadata,
        "checkout": {
            "speedPolicy": "MediumSpeed",
            "paymentMethods": invoice.methods,
            "defaultPaymentMethod": None,
            "expirationMinutes": (invoice.expires - invoice.created) // 60,
            "monitoringMinutes": 1440,
            "paymentTolerance": 0.0,
            "redirectURL": None,
            "redirectAutomatically": False,
            "defaultLanguage": None,
        },
        "receipt": {"enabled": True, "showQR": True, "showPayments": True},
    }


def lightning_method(invoice: FakeInvoice) -> dict[str, Any]:
    amount = btc(invoice.amount)
    paid = btc(invoice.paid)
    return {
        "activated": invoice.activated,
        "destination": invoice.bolt11 if invoice.activated else "",
        "paymentLink": f"lightning:{invoice.bolt11}" if invoice.activated else "",
        "rate": "0.00000001",  # one SATS in BTC
        "paymentMethodPaid": paid,
        "totalPaid": paid,
        "due": btc(invoice.amount - invoice.paid),
        "amount": amount,
        "paymentMethodFee": "0",
        "payments": [payment_model(invoice)] if invoice.paid else [],
        "paymentMethodId": "BTC-LN",
        "additionalData": {"paymentHash": invoice.payment_hash, "preimage": None},
        "currency": "BTC",
    }


def payment_model(invoice: FakeInvoice) -> dict[str, Any]:
    return {
        "id": invoice.payment_hash,
        "receivedDate": int(time.time()),
        "value": btc(invoice.paid),
        "fee": "0",
        "status": "Settled",
        "destination": invoice.bolt11,
    }


def btc(sats: int) -> str:
    return f"{sats / 100_000_000:.8f}"


def new_id() -> str:
    # Invoice and delivery ids are 22 base58 characters.
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(22))
