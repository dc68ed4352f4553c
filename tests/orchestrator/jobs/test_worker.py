"""The worker (``orchestrator.jobs.worker.Worker``) at its interface: one claimed job run
with ``Worker.run``, on the memory state backend, a started moderation gate, a fake
provider and a fake front end that records what it was asked.

Covered: delivery (once, status, ack, counters), progress, failures (provider, timeout,
send, unreadable output), the delivery mark held elsewhere, a job whose delivery had
begun, expired and abandoned jobs, edits, and payments (captured or released).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrator.errors import DeliveryUncertain, JobAbandoned, JobExpired
from orchestrator.jobs.marks import delivery_mark, status_owner_mark
from orchestrator.jobs.worker import Worker
from orchestrator.moderation.gate import ModerationGate
from orchestrator.payments.notices import PaymentNotice
from orchestrator.payments.service import PaymentService
from orchestrator.stats.recorder import JobStats
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ProviderTimeout, ProviderUnavailable, UnusableOutput
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend, open_backend
from state.models import Job, JobKind, JobStatus
from tests.conftest import make_settings, png_bytes


class FakeProvider(ImageProvider):
    """Returns a blue PNG (or ``output``) per image asked, or exactly ``outputs`` when set;
    raises ``error``, or sleeps ``delay_s`` first."""

    name = "fake"

    def __init__(self) -> None:
        self.error: Exception | None = None
        self.output, self.delay_s = png_bytes((64, 64), "blue"), 0.0
        self.outputs: list[bytes] | None = None
        self.requests: list[ImageRequest] = []

    async def ready(self) -> bool:
        return True

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        self.requests.append(request)
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        if self.outputs is not None:
            return [ProviderImage(data, "image/png") for data in self.outputs]
        return [ProviderImage(self.output, "image/png")] * request.num_images

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        return await self.generate(request)


class FakeFrontend:
    """A ``JobFrontend`` that records every call; ``deliver`` raises ``deliver_error``."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, list[ProviderImage]]] = []
        self.failures: list[tuple[str, BaseException]] = []
        self.positions: list[tuple[str, int | None]] = []
        self.progress: list[str] = []
        self.fetched: list[str] = []
        self.notices: list[PaymentNotice] = []
        self.deliver_error: Exception | None = None
        self.input_image = png_bytes((64, 64), "blue")

    async def fetch_input_image(self, job: Job) -> bytes:
        self.fetched.append(job.id)
        return self.input_image

    async def show_progress(self, job: Job) -> None:
        self.progress.append(job.id)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        if self.deliver_error is not None:
            raise self.deliver_error
        self.delivered.append((job.id, images))
        job.result_file_ids = [f"file-{i}" for i in range(len(images))]

    async def report_failure(self, job: Job, error: BaseException) -> None:
        self.failures.append((job.id, error))

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        self.positions.append((job.id, ahead))

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        self.notices.append(notice)
        return None


@dataclass
class Rig:
    backend: StateBackend
    worker: Worker
    provider: FakeProvider
    frontend: FakeFrontend
    payments: PaymentService | None

    async def queued(self, **fields: Any) -> Job:
        """A job saved, enqueued and claimed, as the worker's loop would hand it over."""
        values = {"kind": JobKind.GENERATE, "prompt": "a red fox in the snow", **fields}
        job = Job(chat_id=7, user_id=7, request_message_id=1, **values)
        if self.payments is not None:
            await self.payments.charge(job)
        await self.backend.store.save_job(job)
        await self.backend.queue.enqueue(job)
        claimed = await self.backend.queue.claim(0)
        assert claimed is not None
        assert claimed.id == job.id
        return claimed

    async def run(self, **fields: Any) -> Job:
        job = await self.queued(**fields)
        await self.worker.run(job)
        stored = await self.backend.store.get_job(job.id)
        assert stored is not None
        return stored

    async def counter(self, name: str) -> int:
        return await self.backend.stats.counter(name)

    def failed(self, job: Job) -> BaseException:
        """The one error reported for ``job``, which is stored failed under its name."""
        [(job_id, error)] = self.frontend.failures
        assert (job_id, job.status, job.error) == (job.id, JobStatus.FAILED, type(error).__name__)
        return error

    async def take_status_message(self, job: Job) -> None:
        """As the queue-position display does when it changes the status message first."""
        assert await self.backend.store.first_sighting(status_owner_mark(job.id), 60)


@contextlib.asynccontextmanager
async def rigged(payments: bool = False, **overrides: Any) -> AsyncIterator[Rig]:
    """A worker wired as ``orchestrator/runtime.py`` wires it, on memory state."""
    if payments:
        overrides = {"payments_backend": "fake", "price_generate_sats": 100, **overrides}
    settings = make_settings("http://127.0.0.1:9", **overrides)
    backend = open_backend(None)
    await backend.start()
    gate = ModerationGate(settings, backend.records, backend.stats)
    await gate.start()
    provider, frontend = FakeProvider(), FakeFrontend()
    service = None
    if payments:

        async def submit(job: Job) -> None:
            raise AssertionError("no job is parked in these tests")

        service = PaymentService(settings, FakePaymentBackend(), backend, submit, frontend)
    worker = Worker(
        settings,
        backend.queue,
        backend.store,
        frontend,
        providers={JobKind.GENERATE: provider, JobKind.EDIT: provider},
        stats=JobStats(backend.stats),
        moderation=gate,
        payments=service,
    )
    try:
        yield Rig(backend, worker, provider, frontend, service)
    finally:
        await gate.stop()
        await backend.stop()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with rigged() as built:
        yield built


@pytest.fixture
async def paid_rig() -> AsyncIterator[Rig]:
    async with rigged(payments=True) as built:
        yield built


async def test_a_job_is_delivered_once_acked_and_counted(rig: Rig) -> None:
    job = await rig.run(num_images=2)
    [(job_id, images)] = rig.frontend.delivered
    assert (job_id, [image.data for image in images]) == (job.id, [rig.provider.output] * 2)
    assert (rig.frontend.failures, rig.frontend.positions) == ([], [])
    assert (job.status, job.attempts) == (JobStatus.DELIVERED, 1)
    assert None not in (job.delivery_started_at, job.finished_at)
    assert job.result_file_ids == ["file-0", "file-1"]
    assert await rig.backend.queue.pending() == 0
    assert await rig.counter("jobs_delivered") == 1
    assert await rig.counter("jobs_delivered:generate") == 1
    assert await rig.counter("jobs_failed") == 0
    assert await rig.counter("provider_calls:fake") == 1
    assert [request.num_images for request in rig.provider.requests] == [2]


async def test_progress_is_shown_and_a_shown_queue_position_cleared() -> None:
    async with rigged(chat_action_after_s=0) as rig:
        rig.provider.delay_s = 0.2
        job = await rig.queued()
        await rig.take_status_message(job)
        await rig.worker.run(job)
        assert rig.frontend.progress == [job.id]  # shown at once, then every 4.5 s
        assert rig.frontend.positions == [(job.id, None)]
        assert len(rig.frontend.delivered) == 1


async def test_a_finished_job_handed_out_again_is_only_acked(rig: Rig) -> None:
    job = await rig.run()
    await rig.backend.queue.enqueue(job)
    again = await rig.backend.queue.claim(0)
    assert again is not None
    await rig.worker.run(again)
    assert (len(rig.frontend.delivered), len(rig.provider.requests)) == (1, 1)
    assert await rig.backend.queue.pending() == 0
    assert await rig.counter("jobs_delivered") == 1


async def test_a_provider_error_fails_the_job_and_is_reported(rig: Rig) -> None:
    error = ProviderUnavailable("fake", "down", status_code=503)
    rig.provider.error = error
    job = await rig.run()
    assert rig.failed(job) is error
    assert rig.frontend.delivered == []
    assert await rig.backend.queue.pending() == 0
    assert await rig.counter("jobs_failed") == 1
    assert await rig.counter("provider_failures:fake") == 1


async def test_a_slow_provider_times_out() -> None:
    async with rigged(generate_timeout_s=0.05) as rig:
        rig.provider.delay_s = 5.0
        started = time.perf_counter()
        error = rig.failed(await rig.run())
        assert time.perf_counter() - started < 2.0
        assert isinstance(error, ProviderTimeout)
        assert error.timeout_s == 0.05


async def test_a_delivery_mark_held_by_another_owner_is_not_delivered(rig: Rig) -> None:
    job = await rig.queued()
    assert await rig.backend.store.take_mark(delivery_mark(job.id), "other", 60)
    await rig.worker.run(job)
    stored = await rig.backend.store.get_job(job.id)
    assert stored is not None
    assert (rig.frontend.delivered, rig.frontend.failures) == ([], [])
    assert (stored.status, stored.delivery_started_at) == (JobStatus.RUNNING, None)
    assert await rig.backend.queue.pending() == 1  # left to the mark's owner, not acked
    assert await rig.counter("jobs_delivered") == 0


async def test_a_job_whose_delivery_began_fails_uncertain_without_the_provider(
    rig: Rig,
) -> None:
    job = await rig.run(delivery_started_at=time.time() - 5)
    assert isinstance(rig.failed(job), DeliveryUncertain)
    assert (rig.provider.requests, rig.frontend.delivered) == ([], [])
    assert await rig.backend.queue.pending() == 0


async def test_a_job_past_its_deadline_fails_expired(rig: Rig) -> None:
    error = rig.failed(await rig.run(deadline_at=time.time() - 30))
    assert isinstance(error, JobExpired)
    assert error.late_by_s >= 30
    assert (rig.provider.requests, rig.frontend.delivered) == ([], [])


async def test_a_job_out_of_attempts_is_abandoned(rig: Rig) -> None:
    error = rig.failed(await rig.run(attempts=3))  # job_max_attempts defaults to 3
    assert isinstance(error, JobAbandoned)
    assert error.attempts == 3
    assert rig.provider.requests == []


async def test_an_edit_sends_the_front_ends_input_to_the_provider(rig: Rig) -> None:
    job = await rig.run(kind=JobKind.EDIT, prompt="make it green")
    assert rig.frontend.fetched == [job.id]
    [request] = rig.provider.requests
    assert (request.input_image, request.prompt) == (rig.frontend.input_image, "make it green")
    assert job.status is JobStatus.DELIVERED
    assert await rig.counter("jobs_delivered:edit") == 1


async def test_an_unreadable_output_is_never_sent(rig: Rig) -> None:
    rig.provider.output = b"definitely not an image"
    assert isinstance(rig.failed(await rig.run()), UnusableOutput)
    assert rig.frontend.delivered == []


async def test_a_failed_send_fails_the_job(rig: Rig) -> None:
    rig.frontend.deliver_error = ConnectionError("chat unreachable")
    job = await rig.run()
    assert rig.failed(job) is rig.frontend.deliver_error
    assert job.delivery_started_at is not None
    assert await rig.backend.queue.pending() == 0


async def test_a_delivered_job_s_reservation_is_captured(paid_rig: Rig) -> None:
    ledger = paid_rig.backend.ledger
    assert await ledger.credit(7, "topup-1", 250)
    job = await paid_rig.run()
    assert (job.status, job.reserved_sats) == (JobStatus.DELIVERED, 100)
    balance = await ledger.balance(7)
    assert (balance.available_sats, balance.reserved_sats) == (150, 0)
    assert await paid_rig.counter("revenue_sats") == 100
    assert not await ledger.release(job.id)  # captured: nothing left to give back


@pytest.mark.parametrize("cause", ["provider", "send"])
async def test_a_failed_job_s_reservation_is_released(paid_rig: Rig, cause: str) -> None:
    ledger = paid_rig.backend.ledger
    assert await ledger.credit(7, "topup-1", 250)
    if cause == "provider":
        paid_rig.provider.error = ProviderUnavailable("fake", "down")
    else:
        paid_rig.frontend.deliver_error = ConnectionError("chat unreachable")
    job = await paid_rig.run()
    assert job.status is JobStatus.FAILED
    balance = await ledger.balance(7)
    assert (balance.available_sats, balance.reserved_sats) == (250, 0)
    assert await paid_rig.counter("revenue_sats") == 0
    assert not await ledger.capture(job.id)  # released: it can no longer be charged
