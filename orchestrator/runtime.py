"""Everything one orchestrator process runs, built from settings, started and stopped
in order (stopped in reverse)."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any, Protocol

import structlog

from orchestrator.frontend import Frontend, FrontendFactory
from orchestrator.provider_setup import build_providers
from orchestrator.settings import Settings
from orchestrator.state_setup import build_state
from orchestrator.tasks import TaskGroup
from orchestrator.worker import Worker
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

UPDATE_DEDUP_TTL_S = 48 * 3600.0  # Telegram keeps re-sending for up to 24 h


class Component(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runtime:
    """The process: state, queue, providers, front end and worker."""

    def __init__(self, settings: Settings, frontend_factory: FrontendFactory) -> None:
        self.settings = settings
        self.store, self.queue = build_state(settings)
        self.providers = build_providers(settings)
        self.frontend: Frontend = frontend_factory(settings, self)
        self.worker = Worker(settings, self.queue, self.store, self.frontend, self.providers)
        self.updates = TaskGroup("updates")
        self.accepting = False
        self._secret = settings.telegram_webhook_secret.get_secret_value().encode()
        self._components: list[Component] = [
            self.store,
            self.queue,
            *dict.fromkeys(self.providers.values()),  # one provider may serve both kinds
            self.frontend,
            self.worker,
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

    async def submit(self, job: Job) -> None:
        await self.store.save_job(job)
        await self.queue.enqueue(job)

    async def wait_idle(self, poll_s: float = 0.01) -> None:
        """Until no update is being handled and no job is queued or running."""
        while True:
            await self.updates.wait_idle()
            if await self.queue.pending() == 0 and not len(self.updates):
                return
            await asyncio.sleep(poll_s)
