"""How a job that will not be delivered ends, whoever ends it: the worker holding it, or
the process that received the cancel of a job still waiting in the queue.

Failing a job records it as failed, takes it out of its rate-limit windows when the
failure was not its sender's doing, releases its reservation (before the user is told
"you were not charged"), tells the user, and frees its in-flight slot. Taking it off the
queue is the queue holder's part (the worker acknowledges what it claimed).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from orchestrator.frontend import JobFrontend
from orchestrator.jobs.admission import forgive_failure
from orchestrator.jobs.outage import through_outage
from orchestrator.payments.service import PaymentService
from orchestrator.settings import Settings
from orchestrator.stats.recorder import JobStats
from state.base import StateStore
from state.models import Job, JobStatus

log = structlog.get_logger(__name__)
T = TypeVar("T")


class JobEnding:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        frontend: JobFrontend,
        stats: JobStats,
        payments: PaymentService | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._frontend = frontend
        self._stats = stats
        self._payments = payments

    async def fail(self, job: Job, error: BaseException) -> None:
        job.error = type(error).__name__
        job.finished_at = time.time()
        await self.outlasting(lambda: self.set_status(job, JobStatus.FAILED))
        log.warning("job_failed", kind=job.kind, error=repr(error))
        await forgive_failure(self._store, self._settings, job, error)
        if self._payments is not None:  # before the user is told "you were not charged"
            await self._payments.release(job)
        try:
            await self._frontend.report_failure(job, error)
        except Exception as exc:
            log.error("failure_not_reported", error=repr(exc))
        await self.finish(job)

    async def finish(self, job: Job) -> None:
        """The job's in-flight slot freed and its outcome counted."""
        await self.outlasting(lambda: self._store.release(job.id))
        await self._stats.job_finished(job)

    async def set_status(self, job: Job, status: JobStatus) -> None:
        job.status = status
        job.updated_at = time.time()
        await self._store.save_job(job)

    async def outlasting(self, step: Callable[[], Awaitable[T]]) -> T:
        """A step that must not be dropped, through a short state outage: for up to half
        the visibility timeout (a worker keeps its claim meanwhile)."""
        return await through_outage(step, self._settings.job_visibility_timeout_s / 2)
