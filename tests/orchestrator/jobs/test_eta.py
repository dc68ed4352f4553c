"""The wait estimate: measured service times and the jobs running, or nothing."""

from __future__ import annotations

import datetime as dt

from orchestrator.jobs.eta import SAMPLES, WaitEstimator, wait_estimate
from providers.placeholder import PlaceholderProvider
from state.backend import open_backend
from state.models import Job, JobKind


def _job(kind: JobKind = JobKind.GENERATE) -> Job:
    return Job(kind=kind, prompt="a fox", chat_id=1, user_id=1, request_message_id=1)


def test_the_wait_is_the_jobs_before_it_shared_by_the_running_workers() -> None:
    assert wait_estimate(ahead=3, service_s=10.0, running=4) == 10.0
    assert wait_estimate(ahead=0, service_s=8.0, running=1) == 8.0


async def test_no_estimate_before_anything_is_measured_or_while_nothing_runs() -> None:
    state = open_backend(None)
    await state.start()
    provider = PlaceholderProvider()
    now = [0.0]
    estimator = WaitEstimator(
        state.stats, state.queue, {JobKind.GENERATE: provider}, clock=lambda: now[0]
    )
    assert await estimator.estimate(_job(), 3) is None  # nothing measured
    today = dt.datetime.now(dt.UTC).date()
    for seconds in [100.0] * SAMPLES + [4.0, 6.0, 5.0] * 10:  # only the latest count
        await state.stats.add_latency(provider.name, today, seconds)
    now[0] += 60  # past the cached answer
    assert await estimator.estimate(_job(), 3) is None  # measured, but nothing running
    await state.queue.enqueue(_job())
    await state.queue.enqueue(_job())
    assert await state.queue.claim(0.1) is not None
    assert await state.queue.claim(0.1) is not None
    assert await estimator.estimate(_job(), 3) == (3 + 1) * 5.0 / 2
    await state.stop()
