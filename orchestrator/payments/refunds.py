"""Refund claims paid out: the sats an account holds go to a BOLT11 invoice of its owner.

Held first, paid second, settled third, all keyed by one refund id: the claim is reserved
in the ledger (so a second claim at the same time finds nothing left), the backend pays
the invoice, and the reservation is captured (paid out) or, when the backend refused,
released (the claim stands). A payout whose outcome is unknown (the backend did not
answer) stays reserved and is logged (``refund_outcome_unknown``) for an operator to check
with the node; the reservation sweep gives it back after RESERVATION_SWEEP_GRACE_S.
Refunds are not revenue: only captures of delivered jobs count there.
"""

from __future__ import annotations

import datetime as dt
import uuid

import structlog

from providers.payments.base import PaymentBackend
from providers.payments.errors import PaymentBackendUnavailable
from state.base import Ledger

log = structlog.get_logger(__name__)


async def pay_out(ledger: Ledger, backend: PaymentBackend, account: int, bolt11: str) -> int:
    """Pay the account's whole available balance to ``bolt11``; the sats paid (0: none
    held). Raises ``InsufficientCredits`` when another claim took them meanwhile, and the
    backend's ``PaymentError``s (``PayoutsUnsupported``, ``PaymentBackendRejected``...)."""
    available = (await ledger.balance(account)).available_sats
    if available <= 0:
        return 0
    refund_id = f"refund-{uuid.uuid4().hex}"
    day = dt.datetime.now(dt.UTC).date()
    await ledger.reserve(account, refund_id, 1, available, 0, day)
    try:
        await backend.pay_invoice(bolt11, available)
    except PaymentBackendUnavailable:
        log.error("refund_outcome_unknown", refund_id=refund_id, account=account, sats=available)
        raise
    except BaseException:
        await ledger.release(refund_id)
        raise
    await ledger.capture(refund_id)
    log.info("refund_paid", refund_id=refund_id, account=account, sats=available)
    return available
