"""``POST /payments/{backend}/webhook``: a payment service tells us about an invoice.

401: not authentic (nothing applied). 503: we or the backend cannot check it now, or more
webhooks came this second than we check with the backend, so the sender retries
(reconciliation catches it anyway). 200: applied, or nothing to apply (an invoice we never
issued: ignored without asking the backend).
"""

from __future__ import annotations

import math

import structlog
from fastapi import APIRouter, Request, Response

from orchestrator.payments.service import PaymentService
from orchestrator.serving.metrics import PAYMENTS
from providers.payments.errors import InvalidWebhook, InvoiceNotFound, PaymentBackendUnavailable
from state.errors import RateLimited, StateError

log = structlog.get_logger(__name__)
router = APIRouter()


@router.post("/payments/{backend}/webhook", include_in_schema=False)
async def payment_webhook(backend: str, request: Request) -> Response:
    payments: PaymentService | None = request.app.state.runtime.payments
    if payments is None or payments.backend.name != backend:
        return Response(status_code=404)
    raw_body = await request.body()
    try:
        await payments.handle_webhook(dict(request.headers), raw_body)
    except InvalidWebhook as exc:
        PAYMENTS.labels(backend=backend, event="webhook_rejected").inc()
        log.warning("payment_webhook_rejected", reason=exc.reason)
        return Response(status_code=401)
    except InvoiceNotFound as exc:
        log.warning("payment_webhook_unknown_invoice", invoice_id=exc.invoice_id)
        return Response(status_code=200)
    except (PaymentBackendUnavailable, StateError) as exc:
        log.error("payment_webhook_deferred", error=repr(exc))
        return Response(status_code=503, headers={"Retry-After": "30"})
    except RateLimited as exc:  # more webhooks than we check with the backend a second
        retry_after = str(max(1, math.ceil(exc.retry_after_s)))
        return Response(status_code=503, headers={"Retry-After": retry_after})
    return Response(status_code=200)
