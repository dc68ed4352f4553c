"""What a payment webhook may cost us before it is known to be authentic.

Anyone can POST to ``/payments/{backend}/webhook``, and a backend whose webhooks are unsigned
(LNbits) can only check one by asking its service, with our key. So the payment service
first reads which invoice a webhook claims to be about (``claimed_invoice_id``: no I/O) and
ignores one that our ledger never issued, without calling the backend; the webhooks left
(about our invoices, authentic or replayed) are checked at most ``per_s`` a second per
process (:class:`CheckBudget`); the rest are answered 503 and left to reconciliation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import structlog

from providers.payments.base import PaymentBackend
from state.base import Ledger
from state.errors import RateLimited

log = structlog.get_logger(__name__)

WEBHOOK_SCOPE = "payment_webhooks"  # the RateLimited scope of a webhook not checked now
RETRY_AFTER_S = 1.0


class WebhookGate:
    def __init__(
        self, backend: PaymentBackend, ledger: Ledger, per_s: float, count: Callable[[str], None]
    ) -> None:
        self._backend = backend
        self._ledger = ledger
        self._budget = CheckBudget(per_s)
        self._count = count

    async def worth_checking(self, headers: Mapping[str, str], raw_body: bytes) -> bool:
        """False for a webhook about an invoice we never issued (ignore it: no backend
        call); raises ``RateLimited`` when no check fits now; True to go on and check it."""
        claimed = self._backend.claimed_invoice_id(headers, raw_body)
        if claimed is None:  # names no invoice: checked without calling the service
            return True
        if await self._ledger.find_invoice(claimed) is None:
            self._count("webhook_unknown")
            log.info("payment_webhook_unknown_invoice", invoice_id=claimed[:80])
            return False
        if not self._budget.take():
            self._count("webhook_throttled")
            raise RateLimited(WEBHOOK_SCOPE, RETRY_AFTER_S)
        return True


class CheckBudget:
    """A token bucket: ``per_s`` checks a second, in bursts of up to ``per_s`` (at least 1)."""

    def __init__(self, per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_s = per_s
        self._capacity = max(1.0, per_s)
        self._tokens = self._capacity
        self._clock = clock
        self._at = clock()

    def take(self) -> bool:
        """True (and one check spent) when a check fits now."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._per_s)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
