"""Refund claims paid out: the sats an account holds go to a BOLT11 invoice of its owner.

Held first, paid second, settled third, all keyed by one refund id, ``refund-<payment
hash of the invoice paid>``: the claim is reserved in the ledger (so a second claim at the
same time finds nothing left), the backend pays the invoice, and the reservation is
captured (paid out) or, when the backend refused, released (the claim stands).

A payout that is still in flight, or whose outcome is unknown (the backend did not
answer), stays reserved: that reservation is the durable "payout pending" mark (in Redis
when state is), so no second refund can take the same sats. The reservation sweep leaves
refund reservations alone; ``reconcile`` asks the backend what became of each payment
(``payout_status`` by its hash, named in the refund id) and captures it when paid,
releases it when it failed or never reached the backend, and keeps asking while pending.
Each invoice is paid at most once (a mark per payment hash). Refunds are not revenue: only
captures of delivered jobs count there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from providers.payments.base import PaymentBackend, PayoutStatus, payout_hash
from providers.payments.errors import PaymentBackendUnavailable, PaymentError
from state.base import Ledger, StateStore

log = structlog.get_logger(__name__)

REFUND_PREFIX = "refund-"
PAID_ONCE_S = 90 * 86400  # how long an invoice paid out is remembered (well past its expiry)
SETTLE_AFTER_S = 60.0  # a payout is asked after once this old (its own call has ended)
RECONCILE_BATCH = 1000


def is_refund(reservation_id: str) -> bool:
    return reservation_id.startswith(REFUND_PREFIX)


@dataclass(frozen=True, slots=True)
class Payout:
    sats: int  # the claim paid (or being paid); 0: the account held nothing
    status: PayoutStatus


class Payouts:
    def __init__(self, ledger: Ledger, backend: PaymentBackend, store: StateStore) -> None:
        self._ledger = ledger
        self._backend = backend
        self._store = store

    async def pay_out(self, account: int, bolt11: str) -> Payout:
        """Pay the account's whole available balance to ``bolt11``. Raises
        ``InsufficientCredits`` when another claim took the sats meanwhile, the backend's
        refusals (``PayoutsUnsupported``, ``PaymentBackendRejected``: the claim stands) and
        ``PaymentBackendUnavailable`` (the outcome is unknown: the claim stays held until
        ``reconcile`` learns it)."""
        available = (await self._ledger.balance(account)).available_sats
        if available <= 0:
            return Payout(0, PayoutStatus.FAILED)
        payment_hash = payout_hash(self._backend.name, bolt11, available)
        if not await self._store.first_sighting(f"payout:{payment_hash}", PAID_ONCE_S):
            return Payout(0, PayoutStatus.FAILED)  # this invoice was already used
        refund_id = REFUND_PREFIX + payment_hash
        day = dt.datetime.now(dt.UTC).date()
        await self._ledger.reserve(account, refund_id, 1, available, 0, day)
        try:
            status = await self._backend.pay_invoice(bolt11, available)
        except PaymentBackendUnavailable:
            log.error("refund_outcome_unknown", refund_id=refund_id, account=account)
            raise
        except BaseException:
            await self._ledger.release(refund_id)
            raise
        if status is PayoutStatus.PAID:
            await self._ledger.capture(refund_id)
            log.info("refund_paid", refund_id=refund_id, account=account, sats=available)
        else:
            log.info("refund_pending", refund_id=refund_id, account=account, sats=available)
        return Payout(available, status)

    async def reconcile(self, older_than_s: float = SETTLE_AFTER_S) -> int:
        """Settle the held payouts whose outcome the backend now knows; how many."""
        settled = 0
        for held in await self._ledger.held_reservations(older_than_s, limit=RECONCILE_BATCH):
            if not is_refund(held.job_id):
                continue
            try:
                status = await self._backend.payout_status(held.job_id.removeprefix(REFUND_PREFIX))
            except PaymentError as exc:
                log.warning("refund_unchecked", refund_id=held.job_id, error=repr(exc))
                continue
            if status is PayoutStatus.PAID and await self._ledger.capture(held.job_id):
                log.info("refund_paid", refund_id=held.job_id, sats=held.sats)
                settled += 1
            elif status is PayoutStatus.FAILED and await self._ledger.release(held.job_id):
                log.warning("refund_failed_released", refund_id=held.job_id, sats=held.sats)
                settled += 1
        return settled
