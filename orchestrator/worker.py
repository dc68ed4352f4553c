"""The worker: takes jobs off the queue, calls the provider, hands the result back."""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog

from orchestrator.frontend import Frontend
from orchestrator.settings import Settings
from orchestrator.tasks import TaskGroup
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ProviderTimeout
from state.base import JobQueue, StateStore
from state.models import Job, JobKind, JobStatus

log = structlog.get_logger(__name__)

PROGRESS_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds
CLAIM_WAIT_S = 0.5


class Worker:
    def __init__(
        self,
        settings: Settings,
        queue: JobQueue,
        store: StateStore,
        frontend: Frontend,
        providers: dict[JobKind, ImageProvider],
    ) -> None:
        self._settings = settings
        self._queue = queue
        self._store = store
        self._frontend = frontend
        self._providers = providers
        self._loops = TaskGroup("worker-loops")
        self._stopping = asyncio.Event()
        self._claims: set[asyncio.Future[Job | None]] = set()
        self._running = 0
        self._started = False

    @property
    def running(self) -> int:
        return self._running

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._stopping.clear()
        for _ in range(self._settings.worker_concurrency):
            self._loops.spawn(self._loop())

    async def stop(self) -> None:
        """Stop claiming; give running jobs the grace period, then cancel them."""
        if not self._started:
            return
        self._stopping.set()
        for claim in self._claims:
            claim.cancel()
        await self._loops.drain(self._settings.shutdown_grace_s)
        self._started = False

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            # A loop waiting for work is cancelled at once on stop; a running job is not.
            claim = asyncio.ensure_future(self._queue.claim(CLAIM_WAIT_S))
            self._claims.add(claim)
            try:
                job = await claim
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            finally:
                self._claims.discard(claim)
            if job is not None:
                await self.run(job)

    async def run(self, job: Job) -> None:
        self._running += 1
        structlog.contextvars.bind_contextvars(job_id=job.id)
        progress = asyncio.create_task(self._keep_showing_progress(job))
        started = time.perf_counter()
        try:
            await self._set_status(job, JobStatus.RUNNING)
            images = await self._make_images(job)
            await self._frontend.deliver(job, images)
        except Exception as exc:
            job.error = type(exc).__name__
            await self._set_status(job, JobStatus.FAILED)
            log.warning("job_failed", kind=job.kind, error=repr(exc))
            progress.cancel()
            await self._report_failure(job, exc)
        else:
            await self._set_status(job, JobStatus.DELIVERED)
            log.info(
                "job_delivered", kind=job.kind, seconds=round(time.perf_counter() - started, 3)
            )
        finally:
            progress.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress
            await self._queue.ack(job.id)
            self._running -= 1
            structlog.contextvars.unbind_contextvars("job_id")

    async def _make_images(self, job: Job) -> list[ProviderImage]:
        provider = self._providers[job.kind]
        if job.kind is JobKind.EDIT:
            timeout_s = self._settings.edit_timeout_s
            source = await self._frontend.fetch_input_image(job)
            request = ImageRequest(prompt=job.prompt, input_image=source)
            operation = provider.edit(request)
        else:
            timeout_s = self._settings.generate_timeout_s
            operation = provider.generate(ImageRequest(prompt=job.prompt))
        try:
            async with asyncio.timeout(timeout_s):
                return await operation
        except TimeoutError as exc:
            raise ProviderTimeout(provider.name, timeout_s) from exc

    async def _keep_showing_progress(self, job: Job) -> None:
        while True:
            try:
                await self._frontend.show_progress(job)
            except Exception as exc:  # progress is cosmetic; never fail the job for it
                log.info("progress_not_shown", error=repr(exc))
            await asyncio.sleep(PROGRESS_EVERY_S)

    async def _report_failure(self, job: Job, error: Exception) -> None:
        try:
            await self._frontend.report_failure(job, error)
        except Exception as exc:
            log.error("failure_not_reported", error=repr(exc))

    async def _set_status(self, job: Job, status: JobStatus) -> None:
        job.status = status
        job.updated_at = time.time()
        await self._store.save_job(job)
