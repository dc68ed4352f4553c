"""Cancelling a job its sender no longer wants, while it waits or is being made.

Who starts a job is settled by one atomic step, its start mark (``start:<job id>``, a
``StateStore.take_mark`` naming its holder): the worker that claims it takes the mark
for ``worker`` before anything else, and the cancel of a job still waiting takes it for
itself (a holder of its own, so two cancels racing end the job once). Only one of them
holds it, across every process:

- a cancel that takes it ends the job at once, in the process that received the cancel
  (``orchestrator.jobs.ending``: failed as :class:`~orchestrator.errors.JobCancelled`,
  reservation released, in-flight slot freed, user told, not charged); the worker that
  later pops the job finds the mark held and drops the job without a word (until then it
  stays in the queue, counted among the jobs ahead of those behind it);
- a worker that took it first runs the job, and the cancel becomes a mark in the state
  store (``cancel:<job id>``) the worker sees wherever it runs: checked as it starts, and
  every ``CANCEL_POLL_S`` while the provider works (its call then abandoned). Once its
  delivery has begun a job is no longer cancelled: its images are on their way. The worker
  fails it the same way.

A worker that takes the job over from one that died finds the mark held by ``worker``
and runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable
from typing import TypeVar

import structlog

from orchestrator.errors import JobCancelled
from orchestrator.jobs.ending import JobEnding
from orchestrator.jobs.status_stage import Stage, advance
from state.base import StateStore
from state.errors import StateError
from state.models import Job, JobStatus

log = structlog.get_logger(__name__)

CANCEL_POLL_S = 1.0
T = TypeVar("T")


_WORKER = "worker"


def _mark(job_id: str) -> str:
    return f"cancel:{job_id}"


def _start_mark(job_id: str) -> str:
    return f"start:{job_id}"


async def take_start(store: StateStore, job_id: str, ttl_s: float) -> bool:
    """For the worker that claimed the job: True when it may run it, False when the job
    was cancelled while it waited (and so has ended already)."""
    return await store.take_mark(_start_mark(job_id), _WORKER, ttl_s)


def cancellable(job: Job) -> bool:
    """Whether the job still waits or is being made (and not yet being sent)."""
    waiting_or_making = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return waiting_or_making and job.delivery_started_at is None


async def request_cancel(store: StateStore, ending: JobEnding, job: Job, ttl_s: float) -> bool:
    """Cancel ``job``: at once while no worker has started it, else by the mark its worker
    watches; False when it is past cancelling."""
    if not cancellable(job):
        return False
    if job.status == JobStatus.QUEUED and await store.take_mark(
        _start_mark(job.id), f"cancel-{uuid.uuid4().hex}", ttl_s
    ):
        # Recorded first, so the queue-position display no longer edits its message.
        await advance(store, job.id, Stage.ENDED, ttl_s)
        await ending.fail(job, JobCancelled(job.id))
        return True
    await store.remember(_mark(job.id), "1", ttl_s)
    return True


async def cancel_requested(store: StateStore, job_id: str) -> bool:
    """Whether the job was cancelled; an unreadable store is taken as no."""
    try:
        return await store.recall(_mark(job_id)) is not None
    except StateError as exc:
        log.warning("cancel_unchecked", error=repr(exc))
        return False


async def unless_cancelled(
    work: Awaitable[T], store: StateStore, job_id: str, poll_s: float = CANCEL_POLL_S
) -> T:
    """``work``'s result; ``JobCancelled`` (with ``work`` stopped) once the job is cancelled."""
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll_s)
            if done:
                return task.result()
            if await cancel_requested(store, job_id):
                raise JobCancelled(job_id)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
