"""``/pay`` in ``fulmine chat`` with ``PAYMENTS_BACKEND=fake``: play the payer of every
pending invoice, and deliver the fake service's webhooks to the orchestrator over HTTP."""

from __future__ import annotations

import httpx

from orchestrator.payments.service import PaymentService
from providers.payments.fake import FakePaymentBackend

PAY_COMMAND = "/pay"


async def pay_pending(payments: PaymentService | None, http: httpx.AsyncClient, url: str) -> int:
    """How many invoices were paid (0 when the backend is not the fake one)."""
    if payments is None or not isinstance(payments.backend, FakePaymentBackend):
        return 0
    paid = 0
    for record in await payments.ledger.pending_invoices():
        webhook = payments.backend.mark_paid(record.invoice_id)
        response = await http.post(
            f"{url}/payments/fake/webhook", content=webhook.body, headers=webhook.headers
        )
        paid += response.status_code == 200
    return paid
