"""Cancelling a job (``orchestrator.jobs.cancelling``) against the worker that claims it:
one of them, and only one, starts it, however they race, in memory and across two
processes on one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from orchestrator.errors import JobCancelled
from orchestrator.jobs.cancelling import cancel_requested, request_cancel, take_start
from orchestrator.jobs.ending import JobEnding
from orchestrator.stats.recorder import JobStats
from state.backend import StateBackend, open_backend
from state.models import Job, JobKind, JobStatus
from tests.conftest import make_settings, redis_settings
from tests.orchestrator.jobs.test_worker import FakeFrontend
from tests.redis_server import RedisServer

TTL_S = 60.0


@dataclass
class Sides:
    cancelling: StateBackend  # the process that received the cancel
    working: StateBackend  # the process whose worker claimed the job
    ending: JobEnding
    frontend: FakeFrontend


@pytest.fixture(params=["memory", "redis"])
async def sides(request: pytest.FixtureRequest) -> AsyncIterator[Sides]:
    settings = make_settings("http://127.0.0.1:9")
    if request.param == "memory":
        cancelling = working = open_backend(None)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = redis_settings(server)["redis_key_prefix"]
        cancelling = open_backend(server.url, key_prefix=prefix)
        working = open_backend(server.url, key_prefix=prefix)
    for backend in {id(cancelling): cancelling, id(working): working}.values():
        await backend.start()
    frontend = FakeFrontend()
    ending = JobEnding(settings, cancelling.store, frontend, JobStats(cancelling.stats))
    try:
        yield Sides(cancelling, working, ending, frontend)
    finally:
        for backend in {id(cancelling): cancelling, id(working): working}.values():
            await backend.stop()


async def _waiting(sides: Sides) -> Job:
    job = Job(chat_id=7, user_id=7, request_message_id=1, kind=JobKind.GENERATE, prompt="a fox")
    await sides.cancelling.store.save_job(job)
    return job


async def test_a_waiting_job_cancelled_ends_at_once_and_no_worker_starts_it(sides: Sides) -> None:
    job = await _waiting(sides)
    assert await request_cancel(sides.cancelling.store, sides.ending, job, TTL_S)
    [(job_id, error)] = sides.frontend.failures
    assert (job_id, type(error)) == (job.id, JobCancelled)
    stored = await sides.working.store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.error) == (JobStatus.FAILED, "JobCancelled")
    assert not await take_start(sides.working.store, job.id, TTL_S)
    assert not await request_cancel(sides.cancelling.store, sides.ending, stored, TTL_S)
    assert len(sides.frontend.failures) == 1


async def test_a_job_its_worker_started_is_cancelled_by_the_mark_it_watches(sides: Sides) -> None:
    job = await _waiting(sides)  # still recorded as waiting: the worker has just claimed it
    assert await take_start(sides.working.store, job.id, TTL_S)
    assert await take_start(sides.working.store, job.id, TTL_S)  # another worker takes over
    assert await request_cancel(sides.cancelling.store, sides.ending, job, TTL_S)
    assert sides.frontend.failures == []  # the worker fails it, not the cancel
    assert await cancel_requested(sides.working.store, job.id)
    stored = await sides.working.store.get_job(job.id)
    assert stored is not None
    assert stored.status == JobStatus.QUEUED


async def test_a_cancel_racing_the_worker_and_another_cancel_ends_the_job_once(
    sides: Sides,
) -> None:
    for _ in range(20):
        job = await _waiting(sides)
        sides.frontend.failures.clear()
        first, second, started = await asyncio.gather(
            request_cancel(sides.cancelling.store, sides.ending, job.model_copy(), TTL_S),
            request_cancel(sides.cancelling.store, sides.ending, job.model_copy(), TTL_S),
            take_start(sides.working.store, job.id, TTL_S),
        )
        assert (first, second) == (True, True)  # both answered "cancelled"
        ended_here = len(sides.frontend.failures)
        if started:  # the worker won: it sees the mark and fails the job itself
            assert ended_here == 0
            assert await cancel_requested(sides.working.store, job.id)
        else:
            assert ended_here == 1
