"""The HTTP API front end: apps and scripts pay a Lightning invoice and fetch the image.

Its users are not waiting in a chat: progress, queue positions and payment notices are
not pushed (clients poll, long-poll or listen to events), failures are answered when asked,
and delivery is keeping the images in the image store, served by signed links.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import time

import structlog
from fastapi import APIRouter
from PIL import Image

from api.dev import dev_router
from api.moderation import moderation_router
from api.orders import Orders
from api.results import Results, StoredResult
from api.routes import build_router
from api.verify import VERIFY_PATH, verify_router
from orchestrator.frontend import JobSubmitter
from orchestrator.image_store import build_image_store
from orchestrator.payments.notices import PaymentNotice
from orchestrator.settings import Settings
from providers.base import ProviderImage
from providers.storage.errors import StorageError
from state.models import Job

log = structlog.get_logger(__name__)

SWEEP_EVERY_S = 3600.0
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def signing_key(settings: Settings, purpose: str) -> bytes:
    """A key per purpose, from API_SIGNING_KEY (or the webhook secret every process has)."""
    base = settings.api_signing_key or settings.telegram_webhook_secret
    return hmac.new(base.get_secret_value().encode(), purpose.encode(), hashlib.sha256).digest()


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:  # the header only: checked before delivery
        return img.size


class ApiFrontend:
    """Implements ``orchestrator.frontend.Frontend`` for the HTTP API."""

    name = "api"

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self.settings = settings
        self.submitter = submitter
        self.store = build_image_store(settings, signing_key(settings, "image-links"))
        self.l402_key = signing_key(settings, "l402")
        self.orders = Orders(settings, submitter, self.store)
        self.results = Results(settings, submitter, self.store)
        self._sweeper: asyncio.Task[None] | None = None

    def router(self) -> APIRouter:
        router = build_router(self)
        router.include_router(moderation_router(self))
        router.include_router(verify_router(self))
        if self.settings.payments_backend == "fake":  # development only: the payer's side
            router.include_router(dev_router(self))
        return router

    def body_limits(self) -> dict[str, int]:
        """The routes that take an image, and their body limit."""
        limit = self.settings.api_max_body_bytes
        return {"/api/v1/invoice": limit, "/api/v1/generate": limit, VERIFY_PATH: limit}

    async def start(self) -> None:
        if self._sweeper is None:
            await self.store.start()
            self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
            await self.store.stop()

    async def _sweep(self) -> None:
        """Images are kept IMAGE_RETENTION_DAYS, then deleted (every process sweeps)."""
        while True:
            cutoff = time.time() - self.settings.image_retention_days * 86400
            try:
                deleted = await self.store.delete_older_than(cutoff)
                if deleted:
                    log.info("images_expired", deleted=deleted)
            except StorageError as exc:
                log.warning("image_sweep_failed", error=repr(exc))
            await asyncio.sleep(SWEEP_EVERY_S)

    async def ping(self) -> bool:
        return True

    async def fetch_input_image(self, job: Job) -> bytes:
        return await self.orders.input_of(job)

    async def show_progress(self, job: Job) -> None:
        """Clients ask; nothing is pushed."""

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        """Clients ask (``GET /api/v1/image/{id}`` answers the position and the wait)."""

    async def report_failure(self, job: Job, error: BaseException) -> None:
        """The job's status says it; its sats are the request's refund claim."""
        log.info("api_job_failed", job_id=job.id, error=type(error).__name__)

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return None  # the invoice's status is asked for, not pushed

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        lines = []
        for index, image in enumerate(images):
            extension = EXTENSIONS.get(image.content_type, "bin")
            key = f"images/{job.id}/{index}.{extension}"
            width, height = await asyncio.to_thread(_size, image.data)
            await self.store.put(key, image.data, image.content_type)
            lines.append(StoredResult(key, width, height, image.content_type).line())
        job.result_file_ids = lines
