"""The reconciliation loop, and the sweep of reservations whose process died.

Every ``PAYMENTS_RECONCILE_S`` seconds each process runs the payment service's steps: the
pending invoices are re-checked with the backend (what a lost webhook would have said), then
the held reservations are swept.

The sweep: a job's price is reserved at admission, before the job is saved and queued; a
process that dies in between (or whose worker's capture or release met a long state outage)
leaves the reservation held, and the user's sats with it. The sweep reads the reservations
held longer than ``RESERVATION_SWEEP_GRACE_S`` (far longer than admission takes, status
message included) and settles each whose job is neither queued nor running:

- job missing from the store (never queued) or failed: released, as its worker would have;
- job delivered: captured for the images it delivered (``result_file_ids``), as its worker
  would have: the user has them and was never told "not charged".

Parked holds (a request's free images and credit held while its invoice is open) are
swept apart: one parked longer than the invoice's expiry plus ``RESERVATION_SWEEP_GRACE_S``
is released when its job has no pending invoice (the process died before recording it, or
after resolving it and before queueing the job: a paid invoice's sats stay as credit) or
its job is no longer waiting for payment. One whose invoice is still pending is left to
reconciliation, which resolves the invoice and settles the hold with it.

Refund payouts' reservations (``refunds.py``) are not the sweep's: their outcome is the
backend's to tell, and ``Payouts.reconcile`` asks it.

Settling is idempotent by job id, so processes sweeping at once, or a worker settling the
same job late, settle it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence

import structlog

from orchestrator.payments.refunds import is_refund
from state.base import Ledger, StateStore
from state.errors import StateError
from state.models import Capture, Job, JobStatus

log = structlog.get_logger(__name__)

SWEEP_BATCH = 100  # reservations looked at per pass; the next pass takes the rest
LIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


class Reconciler:
    """Runs ``steps`` one after the other every ``every_s`` seconds, until stopped; a step
    that meets a state fault is logged and tried again next time."""

    def __init__(self, every_s: float, steps: Sequence[Callable[[], Awaitable[object]]]) -> None:
        self._every_s = every_s
        self._steps = steps
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            for step in self._steps:
                try:
                    await step()
                except StateError as exc:
                    log.warning("reconcile_skipped", step=step.__name__, error=repr(exc))


async def sweep_reservations(
    ledger: Ledger,
    store: StateStore,
    grace_s: float,
    capture: Callable[[Job, int | None], Awaitable[Capture | None]],
    count: Callable[[str], None],
) -> int:
    """Settle the held reservations older than ``grace_s`` whose job is not live; how many
    this call settled."""
    settled = 0
    for held in await ledger.held_reservations(grace_s, limit=SWEEP_BATCH):
        if is_refund(held.job_id):
            continue  # a payout in flight or of unknown outcome: Payouts.reconcile's
        job = await store.get_job(held.job_id)
        if job is not None and job.status in LIVE:
            continue
        if job is not None and job.status is JobStatus.DELIVERED and job.reserved_sats is not None:
            if await capture(job, len(job.result_file_ids) or None) is None:
                continue  # settled meanwhile, or the store failed (logged)
            outcome = "captured"
        elif await ledger.release(held.job_id):
            count("released")
            outcome = "released"
        else:
            continue  # settled meanwhile by its worker or another process
        settled += 1
        count("swept")
        log.warning(
            "reservation_swept",
            job_id=held.job_id,
            job_status=job.status.value if job is not None else None,
            outcome=outcome,
            sats=held.sats,
            age_s=round(held.age_s, 1),
        )
    return settled


async def sweep_parked(
    ledger: Ledger,
    store: StateStore,
    older_than_s: float,
    count: Callable[[str], None],
) -> int:
    """Release the parked holds older than ``older_than_s`` whose job waits for no pending
    invoice; how many this call released."""
    released = 0
    for held in await ledger.parked_reservations(older_than_s, limit=SWEEP_BATCH):
        job = await store.get_job(held.job_id)
        if job is not None and job.status is JobStatus.QUEUED:
            pending = await ledger.pending_of(held.user_id)
            if any(invoice.job_id == held.job_id for invoice in pending):
                continue  # its invoice is open or not yet reconciled: reconciliation's
        if not await ledger.release(held.job_id):
            continue  # settled meanwhile
        if job is not None and job.status is JobStatus.QUEUED:  # it will not run now
            job.status = JobStatus.FAILED
            job.error = "Unpaid"
            job.updated_at = time.time()
            await store.save_job(job)
        released += 1
        count("released")
        count("swept")
        log.warning(
            "parked_hold_swept",
            job_id=held.job_id,
            job_status=job.status.value if job is not None else None,
            sats=held.sats,
            age_s=round(held.age_s, 1),
        )
    return released
