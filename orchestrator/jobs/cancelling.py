"""Cancelling a job its sender no longer wants, while it waits or is being made.

A cancellation is a mark in the state store (``cancel:<job id>``), so any process may set
it and the worker holding the job, wherever it runs, sees it: a waiting job is failed as
:class:`~orchestrator.errors.JobCancelled` when it is claimed, before any provider call;
a job being made is watched every ``CANCEL_POLL_S`` and its provider call abandoned. Once
its delivery has begun a job is no longer cancelled: its images are on their way. Either
way the worker fails it the usual way: reservation released, user told, not charged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

import structlog

from orchestrator.errors import JobCancelled
from state.base import StateStore
from state.errors import StateError
from state.models import Job, JobStatus

log = structlog.get_logger(__name__)

CANCEL_POLL_S = 1.0
T = TypeVar("T")


def _mark(job_id: str) -> str:
    return f"cancel:{job_id}"


def cancellable(job: Job) -> bool:
    """Whether the job still waits or is being made (and not yet being sent)."""
    waiting_or_making = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return waiting_or_making and job.delivery_started_at is None


async def request_cancel(store: StateStore, job: Job, ttl_s: float) -> bool:
    """Mark ``job`` cancelled; False when it is past cancelling."""
    if not cancellable(job):
        return False
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
