"""What has become of a request: its invoice asked after while it is unpaid, its place in
the queue while it waits, its images (signed links) once delivered, its reason and refund
claim once failed.

Delivered images are kept in the image store under ``images/<job id>/<n>``; the job
records each as one JSON line in ``result_file_ids`` (key, size and type), so every
process can answer for it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import structlog

from api.errors import ApiError
from api.orders import retry_after
from api.schemas import ImageLink, JobAnswer, PaymentStatus
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from providers.payments.base import InvoiceStatus
from providers.payments.errors import PaymentError
from providers.storage.base import ImageStore
from state.errors import StateError
from state.models import Job, JobStatus

log = structlog.get_logger(__name__)

# Why a job failed, by the error's class name (``Job.error``), in words for clients.
REASONS = {
    "Unpaid": "the invoice expired unpaid",
    "ContentRefused": "the provider refused the request",
    "PromptBlocked": "the prompt was refused",
    "InputImageBlocked": "the input image was refused",
    "OutputImagesBlocked": "the images made were refused",
    "ProviderTimeout": "the image provider took too long",
    "ProviderUnavailable": "the image provider is unavailable",
    "JobExpired": "the request waited past its deadline",
}
DEFAULT_REASON = "the image could not be made"


@dataclass(frozen=True, slots=True)
class StoredResult:
    key: str
    width: int
    height: int
    content_type: str

    def line(self) -> str:
        return json.dumps([self.key, self.width, self.height, self.content_type])

    @classmethod
    def parse(cls, line: str) -> StoredResult:
        key, width, height, content_type = json.loads(line)
        return cls(str(key), int(width), int(height), str(content_type))


def parked(job: Job) -> bool:
    """Waiting for its invoice: saved, queued in name, nothing reserved yet."""
    return (
        job.status is JobStatus.QUEUED
        and job.invoice_id is not None
        and (job.reserved_sats is None)
    )


class Results:
    def __init__(self, settings: Settings, submitter: JobSubmitter, store: ImageStore) -> None:
        self._settings = settings
        self._submitter = submitter
        self._store = store

    async def invoice_status(self, job: Job) -> PaymentStatus:
        """The invoice's status, from the backend; applying what it says (a paid invoice
        starts its job now rather than at the next webhook or reconciliation)."""
        payments = self._submitter.payments
        if job.invoice_id is None or payments is None:
            return PaymentStatus(invoice_id=job.id, status="paid")
        try:
            invoice = await payments.backend.get_invoice(job.invoice_id)
            if invoice.status is not InvoiceStatus.PENDING and parked(job):
                await payments.apply(job.invoice_id)
        except PaymentError as exc:
            log.warning("api_invoice_unchecked", error=repr(exc))
            raise ApiError(
                503, "payments_unavailable", "try again shortly", retry_after(5)
            ) from exc
        return PaymentStatus(invoice_id=job.id, status=invoice.status.value)

    async def answer(self, job: Job, check_invoice: bool = True) -> tuple[int, JobAnswer]:
        """The status code and body of ``GET /api/v1/image/{invoice_id}``."""
        if parked(job) and check_invoice:
            await self.invoice_status(job)
            job = await self._submitter.get_job(job.id) or job
        if parked(job):
            record = await self._pending(job)
            return 402, JobAnswer(invoice_id=job.id, status="pending", payment_request=record)
        if job.status is JobStatus.FAILED and job.error == "Unpaid":
            raise ApiError(410, "invoice_expired", "the invoice expired unpaid")
        if job.status is JobStatus.QUEUED:
            return 202, await self._queued(job)
        if job.status is JobStatus.RUNNING:
            return 202, JobAnswer(invoice_id=job.id, status="running")
        if job.status is JobStatus.FAILED:
            payments = self._submitter.payments
            claim = (await payments.balance(job.user_id)).available_sats if payments else 0
            reason = REASONS.get(job.error or "", DEFAULT_REASON)
            return 200, JobAnswer(
                invoice_id=job.id, status="failed", reason=reason, refund_sats=claim
            )
        return 200, await self._completed(job)

    async def _queued(self, job: Job) -> JobAnswer:
        """Its place (jobs ahead) when the queue knows it, and the wait the fair queue's
        estimator expects once service times were measured; otherwise neither."""
        ahead = await self._submitter.queue_position(job.id)
        if ahead is None:
            return JobAnswer(invoice_id=job.id, status="queued")
        try:
            eta_s = await self._submitter.wait_estimate(job, ahead)
        except StateError as exc:  # an estimate is a courtesy: the answer goes without it
            log.info("api_eta_unknown", job_id=job.id, error=repr(exc))
            eta_s = None
        eta = None if eta_s is None else round(eta_s, 1)
        return JobAnswer(invoice_id=job.id, status="queued", position=ahead, eta_s=eta)

    async def _pending(self, job: Job) -> str | None:
        payments = self._submitter.payments
        if payments is None or job.invoice_id is None:
            return None
        record = await payments.ledger.find_invoice(job.invoice_id)
        return record.bolt11 if record is not None else None

    async def _completed(self, job: Job) -> JobAnswer:
        links = []
        for line in job.result_file_ids:
            stored = StoredResult.parse(line)
            url = await self._store.signed_url(stored.key, self._settings.image_url_ttl_s)
            links.append(
                ImageLink(
                    url=url,
                    width=stored.width,
                    height=stored.height,
                    seed=job.seed,
                    content_type=stored.content_type,
                )
            )
        took = (job.finished_at or time.time()) - (job.started_at or job.created_at)
        return JobAnswer(
            invoice_id=job.id,
            status="completed",
            images=links,
            model=job.model or job.kind.value,
            processing_time=round(took, 3),
        )
