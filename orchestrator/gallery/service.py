"""The gallery's service: records delivered images, lists, deletes, and links them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from dataclasses import dataclass

import structlog

from orchestrator.image_store import build_image_store
from orchestrator.settings import Settings
from providers.base import ProviderImage
from providers.storage.errors import StorageError
from state.base import ImageHistory
from state.models import HistoryEntry, Job

log = structlog.get_logger(__name__)

# The front ends whose users have a gallery: the chat's (jobs the Mini App makes are
# delivered to the chat too). The HTTP API's clients are anonymous payers.
RECORDED_FRONTENDS = frozenset({"telegram"})
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
SWEEP_EVERY_S = 3600.0
MAX_PAGE = 60


def image_link_key(settings: Settings) -> bytes:
    """The key that signs image links: the same one the HTTP API's store uses (API_SIGNING_KEY,
    or the webhook secret every process has), so that either serves the other's links."""
    base = settings.api_signing_key or settings.telegram_webhook_secret
    return hmac.new(base.get_secret_value().encode(), b"image-links", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class GalleryItem:
    """An entry with a signed link per image (links last ``IMAGE_URL_TTL_S``)."""

    entry: HistoryEntry
    urls: list[str]


class Gallery:
    def __init__(self, settings: Settings, history: ImageHistory) -> None:
        self._settings = settings
        self._history = history
        self.images = build_image_store(settings, image_link_key(settings))
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def ttl_s(self) -> float:
        return self._settings.image_retention_days * 86400.0

    async def start(self) -> None:
        if self._sweeper is None:
            await self.images.start()
            self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
            await self.images.stop()

    async def _sweep(self) -> None:
        """Files are kept IMAGE_RETENTION_DAYS, like their index entries, then deleted."""
        while True:
            try:
                await self.images.delete_older_than(time.time() - self.ttl_s)
            except StorageError as exc:
                log.warning("gallery_sweep_failed", error=repr(exc))
            await asyncio.sleep(SWEEP_EVERY_S)

    async def record(self, job: Job, images: list[ProviderImage]) -> None:
        """Keep a delivered job's images and index them for its requester. Never raises:
        the images reached the user already; a gallery that misses one only logs it."""
        if job.frontend not in RECORDED_FRONTENDS or not images:
            return
        try:
            keys = []
            for index, image in enumerate(images):
                extension = EXTENSIONS.get(image.content_type, "bin")
                key = f"gallery/{job.user_id}/{job.id}/{index}.{extension}"
                await self.images.put(key, image.data, image.content_type)
                keys.append(key)
            entry = HistoryEntry(
                id=job.id,
                user_id=job.user_id,
                chat_id=job.chat_id,
                kind=str(job.kind),
                prompt=job.original_prompt or job.prompt,
                model=job.model,
                aspect_ratio=job.aspect_ratio,
                seed=job.seed,
                created_at=job.created_at,
                image_keys=keys,
            )
            await self._history.add(entry, self.ttl_s)
        except Exception as exc:
            log.warning("gallery_record_failed", job_id=job.id, error=repr(exc))

    async def page(self, user_id: int, before: float | None, limit: int) -> list[GalleryItem]:
        entries = await self._history.page(user_id, before, max(0, min(limit, MAX_PAGE)))
        return [await self._linked(entry) for entry in entries]

    async def item(self, user_id: int, entry_id: str) -> GalleryItem | None:
        entry = await self._history.get(user_id, entry_id)
        return None if entry is None else await self._linked(entry)

    async def _linked(self, entry: HistoryEntry) -> GalleryItem:
        ttl = self._settings.image_url_ttl_s
        return GalleryItem(
            entry, [await self.images.signed_url(key, ttl) for key in entry.image_keys]
        )

    async def delete(self, user_id: int, entry_id: str) -> bool:
        """Out of the gallery at once; the files go with the retention sweep (their links
        were short-lived)."""
        return await self._history.delete(user_id, entry_id)

    async def clear(self, user_id: int) -> int:
        return await self._history.clear(user_id)
