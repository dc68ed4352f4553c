"""The worker: takes jobs off the queue, calls the provider, hands the result back.

Exactly once, as the user sees it: a job is sent at most once, because a worker takes the
job's delivery mark (an atomic test-and-set in the state store) before it sends and never
sends without it. A job whose worker died before that point is taken over by another worker
(after the queue's visibility timeout) and run again from the start; one whose worker died
while sending is failed as ``DeliveryUncertain`` rather than risk a second photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from orchestrator.catalog import Catalog
from orchestrator.errors import DeliveryUncertain, JobAbandoned, JobCancelled, JobExpired
from orchestrator.frontend import JobFrontend
from orchestrator.jobs.cancelling import cancel_requested, take_start, unless_cancelled
from orchestrator.jobs.ending import JobEnding
from orchestrator.jobs.image_making import ImageMaker
from orchestrator.jobs.marks import delivery_mark, status_owner_mark
from orchestrator.jobs.status_stage import Stage, advance
from orchestrator.jobs.tasks import TaskGroup
from orchestrator.moderation.gate import ModerationGate
from orchestrator.payments.service import PaymentService
from orchestrator.provenance.service import Provenance
from orchestrator.serving.metrics import JOBS_IN_FLIGHT
from orchestrator.settings import Settings
from orchestrator.stats.recorder import JobStats
from providers.base import ImageProvider, ProviderImage
from state.base import JobQueue, StateStore
from state.errors import StateError
from state.models import Job, JobKind, JobStatus

log = structlog.get_logger(__name__)

PROGRESS_EVERY_S = 4.5  # Telegram shows a chat action for about 5 seconds
CLAIM_WAIT_S = 0.5
STATE_RETRY_S = 1.0  # pause after the state store failed, before claiming again
TERMINAL = frozenset({JobStatus.DELIVERED, JobStatus.FAILED})
T = TypeVar("T")


class Worker:
    def __init__(
        self,
        settings: Settings,
        queue: JobQueue,
        store: StateStore,
        frontend: JobFrontend,
        providers: dict[JobKind, ImageProvider],
        stats: JobStats,
        moderation: ModerationGate,
        payments: PaymentService | None = None,
        provenance: Provenance | None = None,
        catalog: Catalog | None = None,
        models: dict[str, ImageProvider] | None = None,
    ) -> None:
        self._settings = settings
        self._provenance = provenance
        self._providers = providers
        self._payments = payments
        self._stats = stats
        self._moderation = moderation
        self._queue = queue
        self._store = store
        self._frontend = frontend
        self._ending = JobEnding(settings, store, frontend, stats, payments)
        self._images = ImageMaker(
            settings, frontend, providers, stats, moderation, catalog=catalog, models=models
        )
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
        """Stop claiming; give running jobs the grace period, then give them back.

        A durable queue keeps what waits in it. A queue in memory dies with the process,
        so it is drained first: loops that finish a job take the next one until none is
        left; whatever is still there when the grace period ends is failed and its users
        told.
        """
        if not self._started:
            return
        grace_ends = time.monotonic() + self._settings.shutdown_grace_s
        self._stopping.set()
        for claim in self._claims:  # idle loops: nothing was waiting when they began
            claim.cancel()
        await self._loops.drain(self._settings.shutdown_grace_s)
        if not self._queue.durable:
            while (job := await self._queue.claim(0)) is not None:
                if time.monotonic() < grace_ends:  # it arrived as its loop stopped waiting
                    await self.run(job)
                elif await self._outlasting(lambda: self._may_start(job)):
                    await self._fail(job, JobAbandoned(job.id, job.attempts, "shut down"))
                else:
                    await self._queue.ack(job.id)
        self._started = False

    async def _loop(self) -> None:
        while True:
            draining = self._stopping.is_set()
            if draining and self._queue.durable:
                return
            # Draining (memory): take what is left without waiting; stop when none is.
            # A loop waiting for work is cancelled at once on stop; a running job is not.
            claim = asyncio.ensure_future(self._queue.claim(0 if draining else CLAIM_WAIT_S))
            self._claims.add(claim)
            try:
                job = await claim
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except StateError as exc:
                log.error("claim_failed", error=repr(exc))
                await asyncio.sleep(STATE_RETRY_S)
                continue
            finally:
                self._claims.discard(claim)
            if job is not None:
                await self.run(job)
            elif draining:
                return

    async def run(self, claimed: Job) -> None:
        self._running += 1
        JOBS_IN_FLIGHT.inc()
        structlog.contextvars.bind_contextvars(job_id=claimed.id)
        try:
            job = await self._store.get_job(claimed.id) or claimed
            # A repeat of a finished job, or one cancelled while it waited (ended there).
            if job.status in TERMINAL or not await self._may_start(job):
                await self._queue.ack(job.id)
            elif job.delivery_started_at is not None:
                await self._fail(job, DeliveryUncertain(job.id))
            elif job.attempts >= self._settings.job_max_attempts:
                await self._fail(job, JobAbandoned(job.id, job.attempts, "workers kept dying"))
            elif job.deadline_at is not None and time.time() > job.deadline_at:
                await self._fail(job, JobExpired(job.id, time.time() - job.deadline_at))
            elif await cancel_requested(self._store, job.id):
                await self._fail(job, JobCancelled(job.id))
            else:
                await self._attempt(job)
        except StateError as exc:  # left unacknowledged: a durable queue hands it out again
            log.error("job_state_failed", error=repr(exc))
        finally:
            self._running -= 1
            JOBS_IN_FLIGHT.dec()
            structlog.contextvars.unbind_contextvars("job_id")

    async def _may_start(self, job: Job) -> bool:
        """Whether this worker may run (or fail) the job: False when a cancel ended it
        while it waited (``orchestrator.jobs.cancelling``)."""
        return await take_start(self._store, job.id, self._settings.job_deadline_s)

    async def _attempt(self, job: Job) -> None:
        job.attempts += 1
        job.started_at = time.time()
        await self._set_status(job, JobStatus.RUNNING)
        # Recorded first: from here on a waiting position is never shown again.
        await self._cosmetic(self._show_running(job))
        # Touching goes on until the job is settled: an upload slower than the visibility
        # timeout must not make another worker think this one died mid-delivery.
        keeper = asyncio.create_task(self._keep_claim(job)) if self._queue.durable else None
        try:
            progress = asyncio.create_task(self._keep_showing_progress(job))
            started = time.perf_counter()
            try:
                making = self._images.make_from(job)
                images, source = await unless_cancelled(making, self._store, job.id)
                images = await self._moderation.allowed_outputs(job, images)
                if self._provenance is not None:  # never raises: an image is never lost
                    name = self._images.provider_name(job)
                    images = await self._provenance.stamp(job, images, name, source)
            except asyncio.CancelledError:
                await self._stop_helpers([progress])
                await self._give_back(job)
                raise
            except Exception as exc:
                await self._stop_helpers([progress])
                await self._fail(job, exc)
                return
            await self._stop_helpers([progress])
            await self._deliver(job, images, started)
        finally:
            if keeper is not None:
                await self._stop_helpers([keeper])

    async def _show_running(self, job: Job) -> None:
        deadline_s = self._settings.job_deadline_s
        await advance(self._store, job.id, Stage.RUNNING, deadline_s)
        if not await self._store.first_sighting(status_owner_mark(job.id), deadline_s):
            await self._frontend.show_queue_position(job, None)

    async def _deliver(self, job: Job, images: list[ProviderImage], started: float) -> None:
        mark, attempt = delivery_mark(job.id), uuid.uuid4().hex
        deadline_s = self._settings.job_deadline_s
        # Owned by this attempt: asking again after a lost answer still finds it ours.
        if not await self._outlasting(lambda: self._store.take_mark(mark, attempt, deadline_s)):
            # Another worker took this job over while this one was slow; it sends it, or,
            # if it died sending, the next worker finds the job uncertain. Not acknowledged.
            log.warning("delivery_taken_elsewhere")
            return
        job.delivery_started_at = time.time()
        await self._outlasting(lambda: self._store.save_job(job))
        # A cancel asked while the images were checked and stamped was answered "not
        # charged": it holds. From here on (the start saved above) a cancel is refused.
        if await cancel_requested(self._store, job.id):
            await self._fail(job, JobCancelled(job.id))
            return
        if len(images) < job.num_images:  # the provider made fewer, or moderation dropped some
            log.warning("images_short", asked=job.num_images, delivered=len(images))
        # Once sending has begun it is finished, even when shutdown's grace runs out.
        sending = asyncio.ensure_future(self._frontend.deliver(job, images))
        try:
            await asyncio.shield(sending)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await sending
            await self._settle(job, sending, started, len(images))
            raise
        except Exception:
            pass
        await self._settle(job, sending, started, len(images))

    async def _settle(
        self, job: Job, sending: asyncio.Future[None], started: float, delivered: int
    ) -> None:
        error = sending.exception() if not sending.cancelled() else asyncio.CancelledError()
        if error is not None:
            await self._fail(job, error)
            return
        job.finished_at = time.time()
        await self._outlasting(lambda: self._set_status(job, JobStatus.DELIVERED))
        if job.result_file_ids:  # the front end may send fewer (a flagged image it cannot hide)
            delivered = min(delivered, len(job.result_file_ids))
        if self._payments is not None:  # out: charged once, by job id, for what was sent
            await self._payments.capture(job, images=delivered)
        await self._close(job)
        log.info("job_delivered", kind=job.kind, seconds=round(time.perf_counter() - started, 3))

    async def _give_back(self, job: Job) -> None:
        """Shutdown's grace ran out mid-job: another worker runs it from the start."""
        if not self._queue.durable:
            await self._fail(job, JobAbandoned(job.id, job.attempts, "shut down"))
            return
        job.status = JobStatus.QUEUED
        job.attempts -= 1  # a clean hand-back is not a failed attempt
        job.updated_at = time.time()
        await self._store.save_job(job)
        await self._queue.requeue(job)
        log.info("job_requeued")

    async def _fail(self, job: Job, error: BaseException) -> None:
        await self._ending.fail(job, error)
        await self._outlasting(lambda: self._queue.ack(job.id))

    async def _close(self, job: Job) -> None:
        """The job is done with: acknowledged last, so it counts as pending until then."""
        await self._ending.finish(job)
        await self._outlasting(lambda: self._queue.ack(job.id))

    async def _outlasting(self, step: Callable[[], Awaitable[T]]) -> T:
        return await self._ending.outlasting(step)

    async def _keep_showing_progress(self, job: Job) -> None:
        """Progress shown once the job has taken CHAT_ACTION_AFTER_S, then every few
        seconds; the front end decides what that costs (Telegram: a budgeted chat action)."""
        await asyncio.sleep(self._settings.chat_action_after_s)
        while True:
            await self._cosmetic(self._frontend.show_progress(job))
            await asyncio.sleep(PROGRESS_EVERY_S)

    async def _keep_claim(self, job: Job) -> None:
        """Touch the job well within the visibility timeout, so no other worker takes it."""
        every_s = self._settings.job_visibility_timeout_s / 3
        while True:
            await asyncio.sleep(every_s)
            try:
                if not await self._queue.touch(job.id):
                    log.warning("claim_lost")
                    return
            except StateError as exc:
                log.warning("claim_not_kept", error=repr(exc))

    async def _cosmetic(self, step: Awaitable[None]) -> None:
        try:
            await step
        except Exception as exc:  # progress is cosmetic; never fail the job for it
            log.info("progress_not_shown", error=repr(exc))

    @staticmethod
    async def _stop_helpers(helpers: list[asyncio.Task[None]]) -> None:
        for helper in helpers:
            helper.cancel()
        for helper in helpers:
            with contextlib.suppress(asyncio.CancelledError):
                await helper

    async def _set_status(self, job: Job, status: JobStatus) -> None:
        await self._ending.set_status(job, status)
