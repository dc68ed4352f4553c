"""What the pipeline records about itself: Prometheus metrics of this process, shared
counters and samples in the state store (for ``/stats``), and one log line per provider
call. Recording never fails a job: a state store that is down costs a count, not a photo.
"""

from __future__ import annotations

import structlog

from orchestrator.serving.metrics import JOBS, PROVIDER_LATENCY
from orchestrator.stats import counters as names
from state.base import StatsStore
from state.errors import StateError
from state.models import Job

log = structlog.get_logger(__name__)

PROVIDER_OK = "ok"


class JobStats:
    def __init__(self, stats: StatsStore) -> None:
        self._stats = stats

    async def user_active(self, user_id: int) -> None:
        try:
            await self._stats.record_user(user_id, names.today())
        except StateError as exc:
            log.warning("stats_not_recorded", what="user", error=repr(exc))

    async def provider_call(
        self, provider: str, kind: str, error: BaseException | None, seconds: float
    ) -> None:
        outcome = PROVIDER_OK if error is None else type(error).__name__
        PROVIDER_LATENCY.labels(provider=provider, kind=kind, outcome=outcome).observe(seconds)
        log.info(
            "provider_finished",
            provider=provider,
            kind=kind,
            outcome=outcome,
            latency_s=round(seconds, 3),
        )
        try:
            await names.count(self._stats, names.provider_calls(provider))
            if error is not None:
                await names.count(self._stats, names.provider_failures(provider))
            await self._stats.add_latency(provider, names.today(), seconds)
        except StateError as exc:
            log.warning("stats_not_recorded", what="provider_call", error=repr(exc))

    async def job_finished(self, job: Job) -> None:
        outcome, kind = job.status.value, job.kind.value
        JOBS.labels(kind=kind, outcome=outcome).inc()
        try:
            await names.count(self._stats, names.jobs(outcome))
            await names.count(self._stats, names.jobs(outcome, kind))
        except StateError as exc:
            log.warning("stats_not_recorded", what="job", error=repr(exc))
