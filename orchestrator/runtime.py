"""Everything one orchestrator process runs, built from settings, started and stopped
in order (stopped in reverse)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import structlog

from orchestrator.catalog.configured import catalog_for
from orchestrator.enhancement import build_enhancer
from orchestrator.frontend import Frontend, FrontendFactory, Frontends
from orchestrator.gallery import Gallery, RecordingFrontend
from orchestrator.history import EditHistory
from orchestrator.jobs.admission import Admission
from orchestrator.jobs.ending import JobEnding
from orchestrator.jobs.eta import WaitEstimator
from orchestrator.jobs.positions import QueuePositions
from orchestrator.jobs.providers import build_model_providers, defaults_by_kind
from orchestrator.jobs.tiers import tier_for
from orchestrator.jobs.worker import Worker
from orchestrator.moderation import flagged
from orchestrator.moderation.gate import ModerationGate
from orchestrator.payments.setup import build_payments
from orchestrator.preferences import (
    Preferences,
    load_preferences,
    save_model,
    save_preference,
)
from orchestrator.provenance.service import Provenance
from orchestrator.requests import RequestsOfUsers
from orchestrator.serving.intake import Intake
from orchestrator.serving.metrics_port import MetricsPort
from orchestrator.settings import Settings
from orchestrator.stats.counters import JOBS_ACCEPTED, count
from orchestrator.stats.recorder import JobStats
from orchestrator.stats.report import CHART_DAYS, StatsReport, gather_report
from state.backend import open_backend
from state.base import ModerationRecords, SendPacer
from state.errors import StateError
from state.models import InFlightCap, Job, JobKind, Limit

log = structlog.get_logger(__name__)

# Beyond the shutdown grace period, before a component that does not stop is left behind
# (logged): a process asked to stop must exit.
STOP_SLACK_S = 15.0


class Component(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runtime(RequestsOfUsers):
    """The process: state, providers, moderation, front ends, payments, queue positions and
    worker. It is the :class:`orchestrator.frontend.JobSubmitter` of every front end.

    ``run_worker`` False: the process only takes requests and enqueues them (``fulmine
    serve`` beside ``fulmine worker`` processes on Redis). A worker-only process (``fulmine
    worker``) builds the same runtime and simply never receives an update.
    """

    def __init__(
        self,
        settings: Settings,
        frontend_factories: FrontendFactory | Sequence[FrontendFactory],
        *,
        run_worker: bool = True,
    ) -> None:
        self.settings = settings
        self.state = open_backend(
            settings.redis_url.get_secret_value() if settings.redis_url is not None else None,
            key_prefix=settings.redis_key_prefix,
            visibility_timeout_s=settings.job_visibility_timeout_s,
            policy=settings.tier_policy(),
        )
        self.store, self.queue, self.stats = self.state.store, self.state.queue, self.state.stats
        self.job_stats = JobStats(self.stats)
        if not run_worker and not self.state.durable:
            raise ValueError("without REDIS_URL the process that takes requests must run jobs")
        self.catalog = catalog_for(settings)
        self.models = build_model_providers(settings, self.catalog)  # by model name
        self.providers = defaults_by_kind(self.catalog, self.models)  # each kind's default
        self.moderation = ModerationGate(settings, self.state.records, self.stats, self.store)
        self.provenance = Provenance(settings, self.store)
        self.enhancer = build_enhancer(settings, self.store)
        self.edit_history = EditHistory(self.store)
        self.gallery = Gallery(settings, self.state.history)
        if not isinstance(frontend_factories, Sequence):
            frontend_factories = [frontend_factories]
        self.frontends = Frontends(factory(settings, self) for factory in frontend_factories)
        self.payments = build_payments(settings, self.state, self.submit, self.frontends)
        # A job cancelled while it waits ends in this process, the way a worker fails one.
        self.ending = JobEnding(settings, self.store, self.frontends, self.job_stats, self.payments)
        self.admission = Admission(
            settings,
            self.store,
            self.stats,
            self.moderation,
            payments=self.payments,
            catalog=self.catalog,
            enhancer=self.enhancer,
        )
        self.estimator = WaitEstimator(self.stats, self.queue, self.providers)
        self.positions = QueuePositions(
            settings, self.store, self.queue, self.frontends, self.estimator
        )
        self.worker = (
            Worker(
                settings,
                self.queue,
                self.store,
                RecordingFrontend(self.frontends, self.gallery),  # deliveries kept in galleries
                self.providers,
                stats=self.job_stats,
                moderation=self.moderation,
                payments=self.payments,
                provenance=self.provenance,
                catalog=self.catalog,
                models=self.models,
            )
            if run_worker
            else None
        )
        self.intake = Intake(self.store, settings)
        self.updates = self.intake.tasks
        self._accepting = False
        self.metrics_port = (
            MetricsPort(settings.metrics_host, settings.metrics_port, self.queue)
            if settings.metrics_port is not None
            else None
        )
        self._components: list[Component] = [
            *([self.metrics_port] if self.metrics_port is not None else []),
            self.state,
            *dict.fromkeys(self.models.values()),  # one provider may serve several models
            self.moderation,
            self.provenance,
            *([self.enhancer] if self.enhancer is not None else []),
            self.gallery,
            *self.frontends,
            *([self.payments] if self.payments is not None else []),
            self.positions,
            *([self.worker] if self.worker is not None else []),
        ]
        self._started: list[Component] = []

    async def start(self) -> None:
        if self._started:
            return
        try:
            for component in self._components:
                await component.start()
                self._started.append(component)
        except BaseException:
            await self.stop()
            raise
        self._accepting = True
        # Everything built at start-up lives as long as the process: move it out of the
        # garbage collector's reach, so full collections stay short (bench/RESULTS.md).
        gc.freeze()
        log.info(
            "orchestrator_started",
            generate_provider=self.providers[JobKind.GENERATE].name,
            edit_provider=self.providers[JobKind.EDIT].name,
        )

    async def stop(self) -> None:
        if not self._started:
            return
        self._accepting = False
        await self.updates.drain(self.settings.shutdown_grace_s)
        while self._started:
            component = self._started.pop()
            name = type(component).__name__
            try:
                async with asyncio.timeout(self.settings.shutdown_grace_s + STOP_SLACK_S):
                    await component.stop()
            except TimeoutError:
                log.error("component_stop_timed_out", component=name)
            except Exception as exc:
                log.error("component_stop_failed", component=name, error=repr(exc))
        log.info("orchestrator_stopped")

    @property
    def accepting(self) -> bool:
        return self._accepting

    def frontend(self, name: str) -> Frontend:
        return self.frontends.of(name)

    async def accept(
        self, mark: str, work: Callable[[], Awaitable[None]], lane: str | None = None
    ) -> bool:
        """Run ``work`` in the background once per ``mark``; False for a repeat
        (``orchestrator.serving.intake``)."""
        return await self.intake.accept(mark, work, lane)

    @property
    def can_enhance(self) -> bool:
        """Whether prompt enhancement is configured (``LLM_BACKEND``)."""
        return self.enhancer is not None

    @property
    def moderation_records(self) -> ModerationRecords:
        return self.moderation.records

    @property
    def send_pacer(self) -> SendPacer:
        return self.state.pacer

    async def admit(self, job: Job) -> None:
        """Take the job through every admission check (see ``orchestrator.jobs.admission``)."""
        await self.job_stats.user_active(job.user_id)  # asking counts as active, admitted or not
        await self.admission.admit(job)

    async def withdraw(self, job: Job) -> None:
        """Give back what an admitted job took: it could not be submitted after all."""
        await self.admission.withdraw(job)

    async def submit(self, job: Job) -> None:
        """Record an admitted job and queue it for a worker (in its tier: a job paid for
        after it was parked gets its tier here)."""
        job.deadline_at = job.created_at + self.settings.job_deadline_s
        job.tier = tier_for(self.settings, job)
        await self.store.save_job(job)
        await self.queue.enqueue(job)
        self.positions.track(job)
        with contextlib.suppress(StateError):
            await count(self.stats, JOBS_ACCEPTED)

    async def get_job(self, job_id: str) -> Job | None:
        return await self.store.get_job(job_id)

    async def queue_position(self, job_id: str) -> int | None:
        return await self.queue.position(job_id)

    async def wait_estimate(self, job: Job, ahead: int) -> float | None:
        return await self.estimator.estimate(job, ahead)

    async def first_time(self, mark: str, ttl_s: float) -> bool:
        return await self.store.first_sighting(mark, ttl_s)

    async def take_limit(self, scope: str, key: str, max_hits: int, window_s: float) -> None:
        ticket = f"limit:{uuid.uuid4().hex}"
        no_slot = InFlightCap(max_jobs=None, lease_s=0.001)  # a hit, not a job in flight
        await self.store.admit(ticket, [Limit(scope, key, max_hits, window_s)], no_slot)
        await self.store.release(ticket)

    async def preferences(self, user_id: int) -> Preferences:
        """The user's defaults (``orchestrator.preferences``)."""
        return await load_preferences(self.store, self.catalog, user_id)

    async def set_default_model(self, user_id: int, name: str) -> bool:
        return await save_model(self.store, self.catalog, user_id, name)

    async def set_preference(self, user_id: int, key: str, value: str | None) -> bool:
        return await save_preference(self.store, user_id, key, value)

    async def flagged_images(self, chat_id: int, chat_type: str | None) -> str:
        return (await flagged.chat_handling(self.store, self.settings, chat_id, chat_type)).value

    async def choose_flagged_images(self, chat_id: int, value: str) -> bool:
        return await flagged.choose(self.store, self.settings, chat_id, value)

    async def stats_report(self, window_days: int, chart_span: int | None = None) -> StatsReport:
        """What ``/stats`` shows (see ``orchestrator.stats.report``); ``chart_span``: days
        the chart covers (None: the chat's two weeks)."""
        names = list(dict.fromkeys(p.name for p in self.models.values()))
        span = CHART_DAYS if chart_span is None else chart_span
        parts = (self.settings, self.store, self.stats, self.queue, names, window_days)
        return await gather_report(*parts, chart_span=span)

    async def wait_idle(self, poll_s: float = 0.01) -> None:
        """Until no update is being handled and no job is queued or running."""
        while True:
            await self.updates.wait_idle()
            if await self.queue.pending() == 0 and not len(self.updates):
                return
            await asyncio.sleep(poll_s)
