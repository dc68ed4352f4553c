"""The job front end the worker talks to, with every delivery recorded in the gallery."""

from __future__ import annotations

from orchestrator.frontend import JobFrontend
from orchestrator.gallery.service import Gallery
from orchestrator.payments.notices import PaymentNotice
from providers.base import ProviderImage
from state.models import Job


class RecordingFrontend:
    """Implements ``orchestrator.frontend.JobFrontend``: passes every call on, and after a
    delivery that succeeded keeps its images in the gallery."""

    def __init__(self, inner: JobFrontend, gallery: Gallery) -> None:
        self._inner = inner
        self._gallery = gallery

    async def fetch_input_image(self, job: Job) -> bytes:
        return await self._inner.fetch_input_image(job)

    async def show_progress(self, job: Job) -> None:
        await self._inner.show_progress(job)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        await self._inner.deliver(job, images)
        await self._gallery.record(job, images)

    async def report_failure(self, job: Job, error: BaseException) -> None:
        await self._inner.report_failure(job, error)

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        await self._inner.show_queue_position(job, ahead, eta_s)

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return await self._inner.notify_payment(notice)
