"""While a job waits in the queue, its status message says how many jobs are ahead and,
once service times have been measured, about how long it will wait
(``orchestrator/jobs/eta.py``).

Telegram limits how often a bot may edit messages in one chat, so edits are sparing: none
for a job that waits less than ``FIRST_SHOW_AFTER_S``, one only when the position or the
estimate (to ``ETA_STEP_S``) changed, and at most one per chat every
``QUEUE_EDIT_INTERVAL_S`` across all processes (a mark in
the state store). Only the process that enqueued a job knows its place in the queue, so
that process shows it. The status message belongs to whoever changes it first: this
display or the worker starting the job (the ``status-owner`` mark), so a job that started
before its first position edit is never shown as waiting; a worker that finds the mark
taken puts the "working" text back.

The display only moves forward (``orchestrator/jobs/status_stage.py``): fewer jobs ahead,
or as many with a shorter wait; a position with more ahead (a job of a higher tier came
in before it) or a longer wait is not shown, and once the job is being made nothing is.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import structlog

from orchestrator.frontend import JobFrontend
from orchestrator.jobs.eta import WaitEstimator
from orchestrator.jobs.marks import status_owner_mark
from orchestrator.jobs.status_stage import Stage, advance, past_waiting
from orchestrator.settings import Settings
from state.base import JobQueue, StateStore
from state.models import Job

log = structlog.get_logger(__name__)

POLL_S = 1.0
FIRST_SHOW_AFTER_S = 2.0
MAX_TRACKED = 10_000
ETA_STEP_S = 5.0  # estimates closer than this to the one shown are not worth an edit


@dataclass
class _Waiting:
    job: Job
    since: float
    shown: tuple[int, int | None] | None = None  # position, estimate in ETA_STEP_S steps
    owns_status: bool = False


class QueuePositions:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        queue: JobQueue,
        frontend: JobFrontend,
        estimator: WaitEstimator | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._queue = queue
        self._frontend = frontend
        self._estimator = estimator
        self._waiting: dict[str, _Waiting] = {}
        self._task: asyncio.Task[None] | None = None

    def track(self, job: Job) -> None:
        if job.status_message_id is None or len(self._waiting) >= MAX_TRACKED:
            return
        self._waiting[job.id] = _Waiting(job, time.monotonic())

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._waiting.clear()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            for job_id in list(self._waiting):
                try:
                    await self._update(job_id)
                except Exception as exc:  # cosmetic: never let it stop the display
                    log.info("queue_position_unknown", job_id=job_id, error=repr(exc))

    async def _update(self, job_id: str) -> None:
        waiting = self._waiting[job_id]
        ahead = await self._queue.position(job_id)
        if ahead is None:
            del self._waiting[job_id]
            return
        if time.monotonic() - waiting.since < FIRST_SHOW_AFTER_S:
            return
        job = waiting.job
        eta_s = await self._estimator.estimate(job, ahead) if self._estimator else None
        shown = (ahead, None if eta_s is None else round(eta_s / ETA_STEP_S))
        if waiting.shown is not None and not _forward(shown, waiting.shown):
            return
        if not waiting.owns_status:
            mark = status_owner_mark(job_id)
            if not await self._store.first_sighting(mark, self._settings.job_deadline_s):
                del self._waiting[job_id]  # a worker has started it
                return
            waiting.owns_status = True
        interval = self._settings.queue_edit_interval_s
        if not await self._store.first_sighting(f"status-edit:{job.chat_id}", interval):
            return
        deadline_s = self._settings.job_deadline_s
        if not await advance(self._store, job_id, Stage.WAITING, deadline_s, ahead):
            if await past_waiting(self._store, job_id):
                del self._waiting[job_id]  # being made or ended: waiting is behind it
            return  # else a later count than one shown: the next update may move forward
        try:
            await self._frontend.show_queue_position(job, ahead, eta_s)
        except Exception as exc:  # cosmetic: the job goes on regardless
            log.info("queue_position_not_shown", job_id=job_id, error=repr(exc))
        waiting.shown = shown


def _forward(new: tuple[int, int | None], old: tuple[int, int | None]) -> bool:
    """Whether showing ``new`` (ahead, wait in steps) after ``old`` moves forward."""
    (ahead, wait), (old_ahead, old_wait) = new, old
    if ahead != old_ahead:
        return ahead < old_ahead
    return wait is not None and (old_wait is None or wait < old_wait)
