"""A BTCPay Server Greenfield API on loopback, speaking the shapes of BTCPay's own models
(``BTCPayServer.Client/Models``) and swagger: invoices in SATS, their payment methods,
store webhooks signed with ``BTCPay-Sig`` and re-deliveries with new delivery ids, and the
store's Lightning node paying invoices (``btcpay_lightning``).

The payer and BTCPay's invoice watcher are Python methods: ``pay`` (settles, or marks
``PaidLate`` once expired), ``expire``; ``POST .../status`` marks invalid or settled as the
real API does. Each sends the webhook events BTCPay sends for that transition.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any

import httpx
from bolt11 import Bolt11, MilliSatoshi, TagChar, Tags, encode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.services.btcpay_lightning import FakeLightningNode
from tests.services.btcpay_shapes import (
    FakeInvoice,
    SentDelivery,
    Webhook,
    error,
    invoice_data,
    lightning_method,
    new_id,
    payment_model,
)

INVOICES = "/api/v1/stores/{store}/invoices"
KNOWN_PAYMENT_METHODS = {"BTC-LN", "BTC-CHAIN", "BTC-LNURL"}


class FakeGreenfield:
    def __init__(self, api_key: str, store_id: str, *, lazy_payment_methods: bool = False) -> None:
        self.api_key = api_key
        self.store_id = store_id
        self.lazy_payment_methods = lazy_payment_methods
        self.payment_methods = set(KNOWN_PAYMENT_METHODS)  # what the store has set up
        self.failure_status: int | None = None  # answer every API call with this status
        self.requests: list[tuple[str, str, Any]] = []  # method, path, JSON body
        self.invoices: dict[str, FakeInvoice] = {}
        self.webhooks: list[Webhook] = []
        self.deliveries: dict[str, SentDelivery] = {}
        self._node_key = os.urandom(32).hex()
        self._background: set[asyncio.Task[SentDelivery]] = set()
        self.node = FakeLightningNode()  # the store's Lightning node: refunds are paid from it
        base = "/api/v1/stores/{store}"
        self.app = Starlette(
            routes=[
                Route(base + "/invoices", self._create_invoice, methods=["POST"]),
                Route(base + "/invoices/{id}", self._get_invoice, methods=["GET"]),
                Route(base + "/invoices/{id}/payment-methods", self._methods, methods=["GET"]),
                Route(
                    base + "/invoices/{id}/payment-methods/{pm}/activate",
                    self._activate,
                    methods=["POST"],
                ),
                Route(base + "/invoices/{id}/status", self._mark_status, methods=["POST"]),
                Route(base + "/webhooks", self._create_webhook, methods=["POST"]),
                Route(base + "/lightning/{crypto}/invoices/pay", self.node.pay, methods=["POST"]),
                Route(
                    base + "/lightning/{crypto}/payments/{hash}", self.node.payment, methods=["GET"]
                ),
                Route(
                    base + "/webhooks/{wh}/deliveries/{delivery}/redeliver",
                    self._redeliver_route,
                    methods=["POST"],
                ),
            ]
        )
        self.app.add_middleware(_Guard, fake=self)

    # The payer and the invoice watcher.

    async def pay(self, invoice_id: str, amount_sats: int | None = None) -> list[SentDelivery]:
        invoice = self.invoices[invoice_id]
        invoice.paid += invoice.amount if amount_sats is None else amount_sats
        late = invoice.status in ("Expired", "Invalid")
        payment = {
            "afterExpiration": late,
            "paymentMethodId": "BTC-LN",
            "payment": payment_model(invoice),
        }
        sent = await self._emit(invoice, "InvoiceReceivedPayment", payment)
        sent += await self._emit(invoice, "InvoicePaymentSettled", payment)
        if invoice.paid < invoice.amount:
            invoice.additional_status = "PaidPartial"
        elif late:
            invoice.additional_status = "PaidLate"
            sent += await self._emit(invoice, "InvoicePaidAfterExpiration", {})
        else:
            over = invoice.paid > invoice.amount
            invoice.status, invoice.additional_status = "Settled", "PaidOver" if over else "None"
            sent += await self._emit(invoice, "InvoiceProcessing", {"overPaid": over})
            sent += await self._emit(
                invoice, "InvoiceSettled", {"manuallyMarked": False, "overPaid": over}
            )
        return sent

    async def expire(self, invoice_id: str) -> list[SentDelivery]:
        invoice = self.invoices[invoice_id]
        invoice.status, invoice.expires = "Expired", min(invoice.expires, int(time.time()))
        partial = invoice.additional_status == "PaidPartial"
        return await self._emit(invoice, "InvoiceExpired", {"partiallyPaid": partial})

    async def redeliver(self, delivery_id: str) -> SentDelivery:
        """What BTCPay's redeliver does: the same event, a new deliveryId."""
        original = self.deliveries[delivery_id]
        event = {
            **original.event,
            "deliveryId": new_id(),
            "originalDeliveryId": original.event["originalDeliveryId"],
            "isRedelivery": True,
        }
        webhook = next(w for w in self.webhooks if w.id == original.webhook_id)
        return await self._send(webhook, event)

    def add_webhook(self, url: str, secret: str) -> Webhook:
        webhook = Webhook(new_id(), url, secret)
        self.webhooks.append(webhook)
        return webhook

    # Greenfield routes.

    async def _create_invoice(self, request: Request) -> Response:
        body = await request.json()
        checkout = body.get("checkout") or {}
        errors = []
        amount = int(body.get("amount") or 0)
        if amount < 0:
            errors.append(("amount", "The amount should be 0 or more."))
        methods = checkout.get("paymentMethods") or sorted(self.payment_methods)
        for i, method in enumerate(methods):
            if method not in self.payment_methods:
                errors.append((f"checkout.paymentMethods[{i}]", "Invalid PaymentMethodId"))
        minutes = checkout.get("expirationMinutes", 15)
        if not isinstance(minutes, int) or minutes < 1:
            errors.append(("checkout.expirationMinutes", "Invalid timespan, expected integer"))
            minutes = 15
        if errors:
            return JSONResponse([{"path": p, "message": m} for p, m in errors], status_code=422)
        now = int(time.time())
        preimage = os.urandom(32)
        payment_hash = hashlib.sha256(preimage).hexdigest()
        tags = Tags()
        tags.add(TagChar.payment_hash, payment_hash)
        tags.add(TagChar.payment_secret, os.urandom(32).hex())
        tags.add(TagChar.description, str((body.get("metadata") or {}).get("itemDesc", "")))
        tags.add(TagChar.expire_time, minutes * 60)
        bolt11 = encode(Bolt11("bcrt", now, tags, MilliSatoshi(amount * 1000)), self._node_key)
        invoice = FakeInvoice(
            id=new_id(),
            store_id=self.store_id,
            amount=amount,
            currency=str(body.get("currency") or "SATS"),
            metadata=body.get("metadata") or {},
            methods=methods,
            created=now,
            expires=now + minutes * 60,
            bolt11=bolt11,
            payment_hash=payment_hash,
            activated=not (self.lazy_payment_methods or checkout.get("lazyPaymentMethods")),
        )
        self.invoices[invoice.id] = invoice
        await self._emit(invoice, "InvoiceCreated", {})
        return JSONResponse(invoice_data(invoice, str(request.base_url)))

    async def _get_invoice(self, request: Request) -> Response:
        invoice = self._find(request)
        if invoice is None:
            return error(404, "invoice-not-found", "The invoice was not found")
        return JSONResponse(invoice_data(invoice, str(request.base_url)))

    async def _methods(self, request: Request) -> Response:
        invoice = self._find(request)
        if invoice is None:
            return error(404, "invoice-not-found", "The invoice was not found")
        return JSONResponse([lightning_method(invoice)] if "BTC-LN" in invoice.methods else [])

    async def _activate(self, request: Request) -> Response:
        invoice = self._find(request)
        if invoice is None:
            return error(404, "invoice-not-found", "The invoice was not found")
        invoice.activated = True
        return Response(status_code=200)

    async def _mark_status(self, request: Request) -> Response:
        invoice = self._find(request)
        if invoice is None:
            return error(404, "invoice-not-found", "The invoice was not found")
        status = (await request.json()).get("status")
        if status == "Invalid":
            invoice.status, invoice.additional_status = "Invalid", "Marked"
            await self._emit(invoice, "InvoiceInvalid", {"manuallyMarked": True})
        elif status == "Settled":
            invoice.status, invoice.additional_status = "Settled", "Marked"
            await self._emit(invoice, "InvoiceSettled", {"manuallyMarked": True, "overPaid": False})
        else:
            return JSONResponse([{"path": "status", "message": "Invalid status"}], status_code=422)
        return JSONResponse(invoice_data(invoice, str(request.base_url)))

    async def _create_webhook(self, request: Request) -> Response:
        body = await request.json()
        webhook = self.add_webhook(str(body["url"]), body.get("secret") or secrets.token_hex(16))
        data = {
            "id": webhook.id,
            "enabled": True,
            "automaticRedelivery": bool(body.get("automaticRedelivery", True)),
            "url": webhook.url,
            "authorizedEvents": {"everything": True, "specificEvents": []},
            "secret": webhook.secret,
        }
        return JSONResponse(data)

    async def _redeliver_route(self, request: Request) -> Response:
        delivery_id = request.path_params["delivery"]
        if delivery_id not in self.deliveries:
            return error(404, "webhookdelivery-not-found", "The webhook delivery was not found")
        redelivery_id = new_id()
        original = self.deliveries[delivery_id]
        event = {**original.event, "deliveryId": redelivery_id, "isRedelivery": True}
        webhook = next(w for w in self.webhooks if w.id == original.webhook_id)
        task = asyncio.get_running_loop().create_task(self._send(webhook, event))
        self._background.add(task)  # BTCPay answers first and delivers in the background
        task.add_done_callback(self._background.discard)
        return JSONResponse(redelivery_id)

    def _find(self, request: Request) -> FakeInvoice | None:
        invoice = self.invoices.get(request.path_params["id"])
        return invoice if invoice is not None and invoice.store_id == self.store_id else None

    # Webhooks.

    async def _emit(
        self, invoice: FakeInvoice, event_type: str, extra: dict[str, Any]
    ) -> list[SentDelivery]:
        sent = []
        for webhook in self.webhooks:
            delivery_id = new_id()
            event = {
                "deliveryId": delivery_id,
                "webhookId": webhook.id,
                "originalDeliveryId": delivery_id,
                "isRedelivery": False,
                "type": event_type,
                "timestamp": int(time.time()),
                "storeId": invoice.store_id,
                "invoiceId": invoice.id,
                "metadata": invoice.metadata,
                **extra,
            }
            sent.append(await self._send(webhook, event))
        return sent

    async def _send(self, webhook: Webhook, event: dict[str, Any]) -> SentDelivery:
        body = json.dumps(event, indent=2).encode()  # BTCPay sends indented UTF-8 JSON
        signature = hmac.new(webhook.secret.encode(), body, hashlib.sha256).hexdigest()
        delivery = SentDelivery(event["deliveryId"], webhook.id, event, body=body)
        self.deliveries[delivery.id] = delivery
        headers = {"Content-Type": "application/json", "BTCPay-Sig": f"sha256={signature}"}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(webhook.url, content=body, headers=headers)
            delivery.status_code = response.status_code
        except httpx.HTTPError:
            delivery.status_code = None
        return delivery


class _Guard:
    """Greenfield's API-key authentication, the store check, request recording and the
    injected failure status, in front of every route."""

    def __init__(self, app: Any, fake: FakeGreenfield) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        self.fake.requests.append((request.method, request.url.path, json.loads(body or "null")))

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        response: Response | None = None
        if self.fake.failure_status is not None:
            response = error(self.fake.failure_status, "server-error", "injected failure")
        elif request.headers.get("authorization") != f"token {self.fake.api_key}":
            response = error(401, "unauthenticated", "Authentication is required")
        elif request.url.path.split("/")[4:5] != [self.fake.store_id]:
            response = error(403, "missing-permission", "Insufficient API Permissions")
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, replay, send)
