"""Telegram Stars bookkeeping, platform-neutral: what a Stars invoice is for, the check
before the payment, crediting once per charge, and the refund of a failed job paid in Stars.

Credits stay one unit (the ledger's, priced in sats); ``STARS_PER_CREDIT`` says what one
costs in Stars (0: Stars are off). A Stars invoice is either a top-up of the payer's own
account or the payment of one parked job (the job's Lightning invoice is then resolved,
so whichever of the two is paid first runs the job and the other is kept as credit).

- The payload of an invoice names the account, the credits and, for a job, its Lightning
  invoice: ``stars1:<account>:<credits>:<invoice id or ->``; the check before payment
  recomputes the price from it, so a forged or stale payload is refused before any Star
  moves.
- ``credit`` adds the credits once per ``telegram_payment_charge_id``: the same payment
  re-sent (a new update) adds nothing.
- A job paid in Stars that then fails is, with ``STARS_FAILED_JOB=refund``, refunded (the
  front end's refund call) and its credits taken back, once per charge; when the credits
  were spent meanwhile, or the refund call failed, they stay as credit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction

import structlog

from orchestrator.payments.invoices import JOB
from orchestrator.payments.service import PaymentService
from orchestrator.settings import Settings
from state.errors import InsufficientCredits
from state.models import Job

log = structlog.get_logger(__name__)

CURRENCY = "XTR"
PAYLOAD_PREFIX = "stars1"
MAX_CREDITS = 10_000_000
LINK_TTL_S = 7 * 86400.0  # how long a job remembers the Stars payment that paid it
REFUND_MARK_TTL_S = 400 * 86400.0  # Telegram refunds within its own window; once is once
REFUND_PREFIX = "stars-refund:"

Refund = Callable[[int, str], Awaitable[None]]  # (payer's user id, charge id)


@dataclass(frozen=True, slots=True)
class StarsOrder:
    account: int  # the ledger account credited
    credits: int
    invoice_id: str | None = None  # the Lightning invoice of the parked job it pays

    def payload(self) -> str:
        return f"{PAYLOAD_PREFIX}:{self.account}:{self.credits}:{self.invoice_id or '-'}"

    @classmethod
    def parse(cls, payload: str) -> StarsOrder | None:
        parts = payload.split(":", 3)
        if len(parts) != 4 or parts[0] != PAYLOAD_PREFIX:
            return None
        try:
            account, credits = int(parts[1]), int(parts[2])
        except ValueError:
            return None
        if not 1 <= credits <= MAX_CREDITS or not parts[3]:
            return None
        return cls(account, credits, None if parts[3] == "-" else parts[3])


@dataclass(frozen=True, slots=True)
class StarsCredit:
    credited: bool  # False: this charge was credited before (a re-sent update)
    credits: int
    job_resumed: bool  # the parked job it paid was queued (its front end was told)
    balance: int


class StarsPayments:
    def __init__(self, settings: Settings, payments: PaymentService) -> None:
        self._settings = settings
        self._payments = payments
        self._ledger = payments.ledger
        self._store = payments.store
        self._per_credit = Fraction(str(settings.stars_per_credit))

    @property
    def enabled(self) -> bool:
        return self._per_credit > 0

    def stars_for(self, credits: int) -> int:
        """The price in Stars of ``credits`` (whole Stars, rounded up, at least one)."""
        return max(1, math.ceil(self._per_credit * credits))

    def topup(self, account: int, credits: int) -> StarsOrder:
        return StarsOrder(account, credits)

    async def for_parked_job(self, invoice_id: str) -> StarsOrder | None:
        """The Stars order paying what a parked job's Lightning invoice asks."""
        record = await self._ledger.find_invoice(invoice_id)
        if record is None or record.purpose != JOB:
            return None
        return StarsOrder(record.user_id, record.amount_sats, invoice_id)

    async def check(self, payload: str, payer: int, currency: str, total: int) -> bool:
        """Whether a payment about to be made is one we offered, at today's price."""
        order = StarsOrder.parse(payload)
        if order is None or currency != CURRENCY or total != self.stars_for(order.credits):
            return False
        if order.invoice_id is None:
            return order.account == payer  # a top-up is its payer's own
        pending = [r.invoice_id for r in await self._ledger.pending_of(order.account)]
        return order.invoice_id in pending  # the job still waits for its payment

    async def credit(self, payload: str, payer: int, charge_id: str) -> StarsCredit | None:
        """Credit a payment Telegram confirmed, once per charge; None for a payload we never
        issued (nothing credited: support refunds it)."""
        order = StarsOrder.parse(payload)
        if order is None:
            log.error("stars_payment_unknown_payload", charge_id=charge_id)
            return None
        ledger = self._ledger
        credited = await ledger.credit(order.account, f"stars:{charge_id}", order.credits)
        resumed = False
        if credited:
            log.info("stars_credited", charge_id=charge_id, credits=order.credits)
            if order.invoice_id is not None:
                resumed = await self._pay_parked(order, payer, charge_id)
        balance = await ledger.balance(order.account)
        return StarsCredit(credited, order.credits, resumed, balance.available_sats)

    async def _pay_parked(self, order: StarsOrder, payer: int, charge_id: str) -> bool:
        assert order.invoice_id is not None
        record = await self._ledger.find_invoice(order.invoice_id)
        if record is not None and record.job_id is not None:
            link = {"charge": charge_id, "payer": payer, "account": order.account}
            link["credits"] = order.credits
            await self._store.remember(f"stars-job:{record.job_id}", json.dumps(link), LINK_TTL_S)
        return await self._payments.pay_parked(order.invoice_id, order.credits)

    async def settle_failed(self, job: Job, refund: Refund) -> int:
        """After ``job`` failed (its reservation released): refund the Stars that paid it,
        when the setting says so; the Stars refunded (0: none, the credits stay)."""
        if self._settings.stars_failed_job != "refund":
            return 0
        remembered = await self._store.recall(f"stars-job:{job.id}")
        if remembered is None:
            return 0
        link = json.loads(remembered)
        charge, credits, account = str(link["charge"]), int(link["credits"]), int(link["account"])
        if not await self._store.first_sighting(REFUND_PREFIX + charge, REFUND_MARK_TTL_S):
            return 0
        refund_id = REFUND_PREFIX + charge
        day = dt.datetime.now(dt.UTC).date()
        try:
            await self._ledger.reserve(account, refund_id, 1, credits, 0, day)
        except InsufficientCredits:
            log.info("stars_refund_spent_meanwhile", charge_id=charge)
            return 0
        try:
            await refund(int(link["payer"]), charge)
        except Exception as exc:
            await self._ledger.release(refund_id)
            log.error("stars_refund_failed", charge_id=charge, error=repr(exc))
            return 0
        await self._ledger.capture(refund_id)
        log.info("stars_refunded", charge_id=charge, credits=credits)
        return self.stars_for(credits)
