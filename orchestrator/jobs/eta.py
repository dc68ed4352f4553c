"""How long a waiting job will wait: from measured service times, never made up.

A job with ``ahead`` jobs before it starts once ``ahead + 1`` of the jobs being worked on
have finished. With ``W`` jobs running (when jobs wait, every worker that is taking work
is busy, so that is how many workers are taking work) and a recent service time ``s``,
jobs finish at about ``W / s`` a second, so the wait is about ``(ahead + 1) * s / W``.

``s`` is the median of the latest ``SAMPLES`` provider call times of the provider that
will make the job (the samples every worker records for ``/stats``, so every process
sees the same), read at most every ``REFRESH_S`` per provider. Nothing measured yet, or
nothing running: no estimate (None).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Mapping

from providers.base import ImageProvider
from state.base import JobQueue, StatsStore
from state.models import Job, JobKind

SAMPLES = 20
REFRESH_S = 10.0


def wait_estimate(ahead: int, service_s: float, running: int) -> float:
    """The wait before a job with ``ahead`` jobs before it starts (see the module)."""
    return (ahead + 1) * service_s / running


class WaitEstimator:
    def __init__(
        self,
        stats: StatsStore,
        queue: JobQueue,
        providers: Mapping[JobKind, ImageProvider],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stats = stats
        self._queue = queue
        self._providers = providers
        self._clock = clock
        self._service: dict[str, tuple[float, float | None]] = {}  # provider -> (read at, s)

    async def estimate(self, job: Job, ahead: int) -> float | None:
        service_s = await self.service_time(self._providers[job.kind].name)
        if service_s is None:
            return None
        running = await self._queue.running()
        if running <= 0:
            return None
        return wait_estimate(ahead, service_s, running)

    async def service_time(self, provider: str) -> float | None:
        now = self._clock()
        known = self._service.get(provider)
        if known is not None and now - known[0] < REFRESH_S:
            return known[1]
        today = dt.datetime.now(dt.UTC).date()
        samples = await self._stats.latencies(provider, [today - dt.timedelta(days=1), today])
        recent = samples[-SAMPLES:]
        service_s = statistics.median(recent) if recent else None
        self._service[provider] = (now, service_s)
        return service_s
