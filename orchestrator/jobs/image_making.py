"""One job's images from its provider: the input photo fetched and checked for an edit,
the call bounded by the kind's timeout, and every call's outcome recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from orchestrator.frontend import JobFrontend
from orchestrator.moderation.gate import ModerationGate
from orchestrator.settings import Settings
from orchestrator.stats.recorder import JobStats
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ProviderTimeout
from state.models import Job, JobKind


class ImageMaker:
    def __init__(
        self,
        settings: Settings,
        frontend: JobFrontend,
        providers: dict[JobKind, ImageProvider],
        stats: JobStats,
        moderation: ModerationGate,
    ) -> None:
        self._settings = settings
        self._frontend = frontend
        self._providers = providers
        self._stats = stats
        self._moderation = moderation

    async def make(self, job: Job) -> list[ProviderImage]:
        images, _ = await self.make_from(job)
        return images

    async def make_from(self, job: Job) -> tuple[list[ProviderImage], bytes | None]:
        """The job's images and, for an edit, the input they were made from."""
        provider = self._providers[job.kind]
        source: bytes | None = None
        request = ImageRequest(
            prompt=job.prompt,
            num_images=job.num_images,
            seed=job.seed,
            aspect_ratio=job.aspect_ratio,
        )
        if job.kind is JobKind.EDIT:
            timeout_s = self._settings.edit_timeout_s
            source = await self._frontend.fetch_input_image(job)
            await self._moderation.check_input(job, source)
            operation = provider.edit(dataclasses.replace(request, input_image=source))
        else:
            timeout_s = self._settings.generate_timeout_s
            operation = provider.generate(request)
        started = time.perf_counter()
        try:  # a call cancelled by shutdown is not the provider's doing: not recorded
            async with asyncio.timeout(timeout_s):
                images = await operation
        except TimeoutError as exc:
            error = ProviderTimeout(provider.name, timeout_s)
            await self._called(provider, job, error, started)
            raise error from exc
        except Exception as exc:
            await self._called(provider, job, exc, started)
            raise
        await self._called(provider, job, None, started)
        return images, source

    async def _called(
        self, provider: ImageProvider, job: Job, error: Exception | None, started: float
    ) -> None:
        seconds = time.perf_counter() - started
        await self._stats.provider_call(provider.name, job.kind.value, error, seconds)
