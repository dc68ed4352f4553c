"""Development only (``PAYMENTS_BACKEND=fake``): ``POST /api/v1/dev/pay/{invoice_id}``
plays the payer of a request's fake invoice, and answers the preimage the payer learns
(what an L402 client shows). Never mounted with a real payment backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from api.errors import ApiError, ApiRoute
from providers.payments.fake import FakePaymentBackend

if TYPE_CHECKING:
    from api.frontend import ApiFrontend


def dev_router(front: ApiFrontend) -> APIRouter:
    router = APIRouter(route_class=ApiRoute, tags=["development"])

    @router.post("/dev/pay/{invoice_id}")
    async def pay(invoice_id: str) -> dict[str, str]:
        payments = front.submitter.payments
        if payments is None or not isinstance(payments.backend, FakePaymentBackend):
            raise ApiError(404, "not_found", "only with PAYMENTS_BACKEND=fake")
        job = await front.orders.api_job(invoice_id)
        if job.invoice_id is None:
            raise ApiError(409, "nothing_to_pay", "this request has no invoice")
        webhook = payments.backend.mark_paid(job.invoice_id)
        await payments.handle_webhook(webhook.headers, webhook.body)
        return {"invoice_id": job.id, "preimage": payments.backend.preimage(job.invoice_id)}

    return router
