"""One job's images from its provider: the input photo fetched and checked for an edit,
the call bounded by the kind's timeout, and every call's outcome recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time

from orchestrator.catalog import Catalog
from orchestrator.catalog.choice import LoraChoice, entry_for, lora_for
from orchestrator.frontend import JobFrontend
from orchestrator.moderation.gate import ModerationGate
from orchestrator.settings import Settings
from orchestrator.stats.recorder import JobStats
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ProviderTimeout
from providers.images import MAX_PIXELS, inspect_image
from state.models import Job, JobKind

SEED_RANGE = 2**31  # every provider takes seeds below this


class ImageMaker:
    def __init__(
        self,
        settings: Settings,
        frontend: JobFrontend,
        providers: dict[JobKind, ImageProvider],
        stats: JobStats,
        moderation: ModerationGate,
        catalog: Catalog | None = None,
        models: dict[str, ImageProvider] | None = None,
    ) -> None:
        self._settings = settings
        self._frontend = frontend
        self._providers = providers
        self._stats = stats
        self._moderation = moderation
        self._catalog = catalog
        self._models = models or {}

    async def make(self, job: Job) -> list[ProviderImage]:
        images, _ = await self.make_from(job)
        return images

    async def make_from(self, job: Job) -> tuple[list[ProviderImage], bytes | None]:
        """The job's images and, for an edit, the input they were made from."""
        source: bytes | None = None
        provider, lora = self._provider(job)
        if job.seed is None and job.kind is not JobKind.UPSCALE:  # chosen here, so that the
            job.seed = secrets.randbelow(SEED_RANGE)  # result tells it (--seed reproduces)
        request = ImageRequest(
            prompt=job.prompt,
            num_images=job.num_images,
            seed=job.seed,
            aspect_ratio=job.aspect_ratio,
            lora=lora.weights if lora is not None else None,
            lora_scale=lora.scale if lora is not None else 1.0,
        )
        if job.kind is JobKind.UPSCALE:
            timeout_s = self._settings.edit_timeout_s
            source = await self._frontend.fetch_input_image(job)
            # Twice the width and height is four times the pixels: the result must stay
            # within the bound every output is held to, so the input is bounded first.
            inspect_image(source, max_pixels=MAX_PIXELS // 4, source="input", decode=False)
            await self._moderation.check_input(job, source)
            operation = provider.upscale(dataclasses.replace(request, input_image=source))
        elif job.kind is JobKind.EDIT:
            timeout_s = self._settings.edit_timeout_s
            source = await self._frontend.fetch_input_image(job)
            await self._moderation.check_input(job, source)
            operation = provider.edit(dataclasses.replace(request, input_image=source))
        elif job.input_image is not None:  # a variation: image-to-image from the input
            timeout_s = self._settings.generate_timeout_s
            source = await self._frontend.fetch_input_image(job)
            await self._moderation.check_input(job, source)
            strength = job.variation_strength if job.variation_strength is not None else 0.6
            varied = dataclasses.replace(request, input_image=source, strength=strength)
            operation = provider.vary(varied)
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

    def provider_name(self, job: Job) -> str:
        return self._provider(job)[0].name

    def _provider(self, job: Job) -> tuple[ImageProvider, LoraChoice | None]:
        """The job's model's provider and LoRA; a job naming no model (or made without a
        catalog) gets its kind's default provider."""
        if self._catalog is None or job.model is None:
            return self._providers[job.kind], None
        entry = entry_for(self._catalog, job)  # a model dropped since admission: refused
        return self._models[entry.name], lora_for(entry, job)

    async def _called(
        self, provider: ImageProvider, job: Job, error: Exception | None, started: float
    ) -> None:
        seconds = time.perf_counter() - started
        await self._stats.provider_call(provider.name, job.kind.value, error, seconds)
