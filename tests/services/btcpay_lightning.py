"""The store's Lightning node as BTCPay's Greenfield API exposes it (after
``GreenfieldLightningNodeApiController``): ``POST .../lightning/{cryptoCode}/invoices/pay``
answers 200 with a ``LightningPaymentData`` when the payment completed, 202 when it is
still in flight, 400 ``could-not-find-route``/``generic-error`` when it failed;
``GET .../lightning/{cryptoCode}/payments/{paymentHash}`` answers the payment, or 404
``payment-not-found``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bolt11 import decode
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.services.btcpay_shapes import error, new_id


@dataclass
class FakeLightningNode:
    configured: bool = True
    outcome: str = "Complete"  # what the next payments do: Complete, Pending or Failed
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment hash

    def settle(self, payment_hash: str, status: str) -> None:
        """A payment left pending ends (the node found a route, or gave up)."""
        self.payments[payment_hash]["status"] = status

    def paid(self) -> list[dict[str, Any]]:
        return [p for p in self.payments.values() if p["status"] == "Complete"]

    async def pay(self, request: Request) -> Response:
        if not self.configured or request.path_params["crypto"] != "BTC":
            return error(404, "lightning-not-configured", "The lightning node is not set up")
        body = await request.json()
        bolt11 = str(body.get("BOLT11") or "")
        try:
            decoded = decode(bolt11)
        except Exception:
            return JSONResponse(
                [{"path": "BOLT11", "message": "The BOLT11 invoice was invalid."}], status_code=422
            )
        if self.outcome == "Failed":
            return error(400, "could-not-find-route", "Impossible to find a route to the peer")
        payment_hash = str(decoded.payment_hash)
        amount = str(int(decoded.amount_msat or 0))
        data = {
            "id": new_id(),
            "paymentHash": payment_hash,
            "status": self.outcome,
            "BOLT11": bolt11,
            "preimage": None,
            "createdAt": int(time.time()),
            "totalAmount": amount,
            "feeAmount": "0",
        }
        self.payments[payment_hash] = data
        return JSONResponse(data, status_code=200 if self.outcome == "Complete" else 202)

    async def payment(self, request: Request) -> Response:
        if not self.configured or request.path_params["crypto"] != "BTC":
            return error(404, "lightning-not-configured", "The lightning node is not set up")
        found = self.payments.get(request.path_params["hash"])
        if found is None:
            return error(
                404, "payment-not-found", "Impossible to find a lightning payment with this hash"
            )
        return JSONResponse(found)
