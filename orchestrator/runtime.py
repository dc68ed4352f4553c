"""Everything one orchestrator process runs, built from settings, started and stopped
in order (stopped in reverse)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from typing import Any, Protocol

import structlog

from orchestrator.admission import Admission
from orchestrator.frontend import Frontend, FrontendFactory
from orchestrator.provider_setup import build_providers
from orchestrator.queue_positions import QueuePositions
from orchestrator.settings import Settings
from orchestrator.state_setup import build_state
from orchestrator.stats_counters import count
from orchestrator.tasks import TaskGroup
from orchestrator.worker import Worker
from state.errors import StateError
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

UPDATE_DEDUP_TTL_S = 48 * 3600.0  # Telegram keeps re-sending for up to 24 h


class Component(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runtime:
    """The process: state, queue, providers, front end, queue positions and worker.

    ``run_worker`` False: the process only takes requests and enqueues them (``fulmine
    serve`` beside ``fulmine worker`` processes on Redis). A worker-only process (``fulmine
    worker``) builds the same runtime and simply never receives an update.
    """

    def __init__(
        self, settings: Settings, frontend_factory: FrontendFactory, *, run_worker: bool = True
    ) -> None:
        self.settings = settings
        self.store, self.queue = build_state(settings)
        if not run_worker and not self.queue.durable:
            raise ValueError("without REDIS_URL the process that takes requests must run jobs")
        self.providers = build_providers(settings)
        self.frontend: Frontend = frontend_factory(settings, self)
        self.admission = Admission(settings, self.store)
        self.positions = QueuePositions(settings, self.store, self.queue, self.frontend)
        self.worker = (
            Worker(settings, self.queue, self.store, self.frontend, self.providers)
            if run_worker
            else None
        )
        self.updates = TaskGroup("updates")
        self.accepting = False
        self._secret = settings.telegram_webhook_secret.get_secret_value().encode()
        self._components: list[Component] = [
            self.store,
            self.queue,
            *dict.fromkeys(self.providers.values()),  # one provider may serve both kinds
            self.frontend,
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
        self.accepting = True
        log.info(
            "orchestrator_started",
            generate_provider=self.providers[JobKind.GENERATE].name,
            edit_provider=self.providers[JobKind.EDIT].name,
        )

    async def stop(self) -> None:
        if not self._started:
            return
        self.accepting = False
        await self.updates.drain(self.settings.shutdown_grace_s)
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception as exc:
                log.error(
                    "component_stop_failed", component=type(component).__name__, error=repr(exc)
                )
        log.info("orchestrator_stopped")

    def secret_matches(self, presented: str | None) -> bool:
        if presented is None:
            return False
        return hmac.compare_digest(presented.encode(), self._secret)

    async def accept_update(self, data: dict[str, Any]) -> bool:
        """De-duplicate and process in the background; False for a repeat."""
        if not await self.store.first_sighting(f"update:{data['update_id']}", UPDATE_DEDUP_TTL_S):
            return False
        self.updates.spawn(self.frontend.process_update(data))
        return True

    async def admit(self, job: Job) -> None:
        """Take the job through every admission check (see ``orchestrator.admission``)."""
        await self.admission.admit(job)

    async def withdraw(self, job: Job) -> None:
        """Give back what an admitted job took: it could not be submitted after all."""
        await self.admission.withdraw(job)

    async def submit(self, job: Job) -> None:
        """Record an admitted job and queue it for a worker."""
        job.deadline_at = job.created_at + self.settings.job_deadline_s
        await self.store.save_job(job)
        await self.queue.enqueue(job)
        self.positions.track(job)
        with contextlib.suppress(StateError):
            await count(self.store, "jobs_accepted")

    async def get_job(self, job_id: str) -> Job | None:
        return await self.store.get_job(job_id)

    async def wait_idle(self, poll_s: float = 0.01) -> None:
        """Until no update is being handled and no job is queued or running."""
        while True:
            await self.updates.wait_idle()
            if await self.queue.pending() == 0 and not len(self.updates):
                return
            await asyncio.sleep(poll_s)
