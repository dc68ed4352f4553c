"""The payment service: charges jobs against the ledger, issues invoices, and applies
what the payment backend says about them (webhooks and reconciliation) exactly once.

Guarantees (see README "Payments"):

- A top-up is credited once per invoice id, with the amount the backend says was paid (one
  for a group's pool to the pool, ``orchestrator.payments.pools``).
- A job's price is reserved once (keyed by job id) before it is queued, captured once after
  its photo was delivered (for the images delivered; the rest given back), released once
  when it failed; never both. A reservation whose process died before queueing its job is
  released by the sweep (``orchestrator/payments/reconciliation.py``), and so is a parked
  hold whose process died before recording its invoice or before queueing its paid job.
- Each invoice outcome (parked job queued, top-up announced, expiry told) happens once:
  ``Ledger.resolve_pending`` hands the invoice's record to exactly one caller.
- The free allowance and credits add up: a request they do not cover is invoiced for the
  rest only, and its free images and credits are held for it (a parked reservation) until
  the invoice is paid (the rest is taken and the job runs) or expires (all given back).
- Admins (``ADMIN_USER_IDS``) are not charged for their own images unless ``ADMINS_PAY``.
- Top-up invoices are bounded per user (``orchestrator/payments/invoices.py``); webhooks
  about invoices we never issued cost no backend call (``orchestrator/payments/webhooks.py``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

import structlog

from orchestrator.jobs.outage import through_outage
from orchestrator.payments.charges import Charges
from orchestrator.payments.fiat import FiatRates
from orchestrator.payments.invoices import JOB, POOL, InvoiceIssuer, Topup, Topups
from orchestrator.payments.notices import NoticeKind, PaymentNotice, PaymentNotifier
from orchestrator.payments.pools import GroupPools
from orchestrator.payments.reconciliation import Reconciler, sweep_parked, sweep_reservations
from orchestrator.payments.refunds import Payouts
from orchestrator.payments.webhooks import WebhookGate
from orchestrator.serving.metrics import PAYMENTS
from orchestrator.settings import Settings
from orchestrator.stats.counters import REVENUE_SATS, count
from providers.payments.base import Invoice, InvoiceStatus, PaymentBackend
from providers.payments.errors import PaymentError
from state.backend import StateBackend
from state.base import Ledger
from state.errors import InsufficientCredits, StateError
from state.models import Balance, Capture, Job, JobStatus, PendingInvoice

log = structlog.get_logger(__name__)

UNPAID = frozenset({InvoiceStatus.EXPIRED, InvoiceStatus.INVALID})


class PaymentService:
    def __init__(
        self,
        settings: Settings,
        backend: PaymentBackend,
        state: StateBackend,
        submit: Callable[[Job], Awaitable[None]],
        notifier: PaymentNotifier,
    ) -> None:
        self._settings = settings
        self.backend = backend
        self.ledger: Ledger = state.ledger  # started and stopped with the state backend
        self._store = state.store
        self.store = state.store
        self._stats = state.stats
        self._submit = submit
        self._notifier = notifier
        self._issue = InvoiceIssuer(backend, self._count)
        self._topups = Topups(settings, self._store, self.ledger, self._issue)
        checks_per_s = settings.payment_webhook_checks_per_s
        self._webhooks = WebhookGate(backend, self.ledger, checks_per_s, self._count)
        self.payouts = Payouts(self.ledger, backend, self._store)  # refunds paid out
        self.pools = GroupPools(self.ledger, self._store, settings.pool_daily_cap)
        self.fiat = FiatRates(settings)  # prices in the operator's currency
        self.charges = Charges(
            settings, self.ledger, self._store, self.pools, self._issue, self._count
        )
        steps = [self.reconcile_once, self.sweep_reservations, self.payouts.reconcile]
        self._reconciler = Reconciler(settings.payments_reconcile_s, steps)
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        await self.backend.start()
        self._started = True
        self._reconciler.start()

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self._reconciler.stop()
        await self.fiat.stop()
        await self.backend.stop()

    def _count(self, event: str) -> None:
        PAYMENTS.labels(backend=self.backend.name, event=event).inc()

    # Prices, balances and admission (``orchestrator/payments/charges.py``).

    def price_of(self, job: Job) -> int:
        return self.charges.price_of(job)

    async def balance(self, user_id: int) -> Balance:
        return await self.ledger.balance(user_id)

    async def free_left(self, user_id: int) -> int:
        return await self.charges.free_left(user_id)

    async def charge(self, job: Job) -> None:
        await self.charges.charge(job)

    async def create_topup(
        self,
        user_id: int,
        chat_id: int,
        sats: int,
        language: str | None,
        frontend: str = "telegram",
    ) -> Topup:
        """A top-up invoice (an open one of the same amount shown again); raises
        ``RateLimited`` (scopes ``topup``, ``topup_open``) or ``PaymentsUnavailable``."""
        return await self._topups.create(user_id, chat_id, sats, language, frontend)

    async def create_pool_invoice(
        self, member: int, chat_id: int, sats: int, language: str | None
    ) -> Topup:
        """An invoice whose payment goes into the group ``chat_id``'s pool (``/fund`` when
        the member's balance is short); bounded with the member's top-ups, same raises."""
        return await self._topups.create(member, chat_id, sats, language, "telegram", POOL)

    # The worker's ends of a reservation.

    # A short outage (a Redis restart) is waited out; a longer state fault leaves the
    # reservation held (not charged, not spendable): logged for an operator, never a
    # reason to fail a delivered job or hide a failure. Both are idempotent by job id.

    async def capture(self, job: Job, images: int | None = None) -> Capture | None:
        """Charge the ``images`` delivered (None: all asked) and give back the rest; revenue
        counts what was charged. None when nothing was captured now."""
        if job.reserved_sats is None:
            return None
        try:
            captured = await through_outage(lambda: self.ledger.capture(job.id, images))
            if captured is not None:
                self._count("captured")
                await count(self._stats, REVENUE_SATS, by=captured.sats)
            return captured
        except StateError as exc:
            log.error("reservation_not_captured", job_id=job.id, error=repr(exc))
            return None

    async def release(self, job: Job) -> None:
        """Give back the job's reservation, or what a parked job holds."""
        if job.reserved_sats is None and job.invoice_id is None:
            return
        try:
            if await through_outage(lambda: self.ledger.release(job.id)):
                self._count("released")
        except StateError as exc:
            log.error("reservation_not_released", job_id=job.id, error=repr(exc))

    # What the backend says about invoices.

    async def handle_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> None:
        """Raises ``InvalidWebhook`` (nothing applied), ``PaymentBackendUnavailable`` or
        ``StateError`` or ``RateLimited`` (the sender should retry). A webhook about an
        invoice we never issued is ignored without calling the backend."""
        if not await self._webhooks.worth_checking(headers, raw_body):
            return
        event = await self.backend.parse_webhook(headers, raw_body)
        self._count(f"webhook_{event.kind.value}")
        log.info("payment_webhook", invoice_id=event.invoice_id, kind=event.kind.value)
        await self.apply(event.invoice_id)

    async def apply(self, invoice_id: str) -> None:
        """Bring the ledger in line with the backend's word on one invoice; idempotent."""
        record = await self.ledger.find_invoice(invoice_id)
        if record is None:
            log.warning("payment_for_unknown_invoice", invoice_id=invoice_id)
            return
        invoice = await self.backend.get_invoice(invoice_id)  # the authority, not the event
        if invoice.status is InvoiceStatus.PAID:
            await self._paid(record, invoice)
        elif invoice.status in UNPAID and await self.ledger.resolve_pending(invoice_id):
            self._count(invoice.status.value)
            job = await self._fail_parked(record)
            prompt = job.prompt if job is not None else None
            pool = record.purpose == POOL
            expired = NoticeKind.POOL_EXPIRED if pool else NoticeKind.EXPIRED
            await self._notify(record, expired, record.amount_sats, prompt=prompt)

    async def _paid(self, record: PendingInvoice, invoice: Invoice) -> None:
        paid = invoice.amount_paid_sats
        if record.purpose == POOL:  # into the group's pool, not the payer's balance
            pools = self.pools
            credited = await pools.credit_invoice(record.user_id, record.chat_id, invoice.id, paid)
        else:
            credited = await self.ledger.credit(record.user_id, f"invoice:{invoice.id}", paid)
        if credited:
            self._count("settled_late" if invoice.paid_late else "settled")
            log.info("payment_credited", invoice_id=invoice.id, sats=paid)
        told = NoticeKind.POOL_FUNDED if record.purpose == POOL else NoticeKind.TOPUP_CREDITED
        if await self.ledger.resolve_pending(invoice.id) is None:
            if credited:  # paid after its expiry was told: say where the sats went
                await self._notify(record, told, paid)
            return
        if record.purpose == JOB and record.job_id is not None:
            await self._resume(record, paid)
        else:
            await self._notify(record, told, paid)

    async def pay_parked(self, invoice_id: str, credited: int) -> bool:
        """Another payment (Telegram Stars) credited ``credited`` for the parked job of
        ``invoice_id``: its invoice is resolved here, once, and the job queued. False when
        the invoice was resolved before (paid, expired): the credits are then a top-up."""
        record = await self.ledger.resolve_pending(invoice_id)
        if record is None:
            return False
        if record.purpose != JOB or record.job_id is None:
            return False
        await self._resume(record, credited)
        return True

    async def _resume(self, record: PendingInvoice, paid: int) -> None:
        """The parked job's invoice was paid: reserve its price and queue it, once."""
        assert record.job_id is not None
        job = await self._store.get_job(record.job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            await self.ledger.release(record.job_id)  # what it held goes back too
            await self._notify(record, NoticeKind.TOPUP_CREDITED, paid)
            return
        try:
            reservation = await self.charges.reserve(job)
        except InsufficientCredits:
            await self._fail_parked(record)
            await self._notify(record, NoticeKind.STILL_SHORT, paid)
            return
        job.reserved_sats = reservation.sats
        self._count("reserved")
        job.created_at = time.time()  # its deadline counts from now, not from the request
        job.status_message_id = await self._notify(
            record, NoticeKind.JOB_PAID, paid, reply_to=job.request_message_id
        )
        try:
            await self._submit(job)
        except BaseException:
            await self.release(job)
            raise
        log.info("parked_job_queued", job_id=job.id)

    async def _fail_parked(self, record: PendingInvoice) -> Job | None:
        """The parked job will not run: what it held goes back; the job, if known."""
        if record.job_id is None:
            return None
        await self.ledger.release(record.job_id)
        job = await self._store.get_job(record.job_id)
        if job is not None and job.status is JobStatus.QUEUED:
            job.status = JobStatus.FAILED
            job.error = "Unpaid"
            job.updated_at = time.time()
            await self._store.save_job(job)
        return job

    async def _notify(
        self,
        record: PendingInvoice,
        kind: NoticeKind,
        amount: int,
        *,
        reply_to: int | None = None,
        prompt: str | None = None,
    ) -> int | None:
        account = record.user_id
        if record.purpose == POOL:  # the group hears of its pool, in reply to the /fund
            account = record.chat_id
            reply_to = reply_to or await self.pools.request_of(record.invoice_id)
        balance = await self.ledger.balance(account)
        notice = PaymentNotice(
            kind,
            record.chat_id,
            record.user_id,
            record.language,
            amount,
            balance.available_sats,
            reply_to,
            record.frontend,
            prompt,
        )
        try:
            return await self._notifier.notify_payment(notice)
        except Exception as exc:  # the money side is done; a lost message is only logged
            log.error("payment_notice_failed", kind=kind.value, error=repr(exc))
            return None

    # Reconciliation: what a lost webhook would have said, and what a dead process left.

    async def reconcile_once(self) -> None:
        for record in await self.ledger.pending_invoices():
            try:
                await self.apply(record.invoice_id)
            except (PaymentError, StateError) as exc:
                log.warning("reconcile_failed", invoice_id=record.invoice_id, error=repr(exc))

    async def sweep_reservations(self) -> int:
        """Settle reservations left by a process that died (``reconciliation.py``)."""
        grace_s = self._settings.reservation_sweep_grace_s
        settled = await sweep_reservations(
            self.ledger, self._store, grace_s, self.capture, self._count
        )
        parked_s = self._settings.invoice_expiry_s + grace_s  # its invoice surely expired
        return settled + await sweep_parked(self.ledger, self._store, parked_s, self._count)
