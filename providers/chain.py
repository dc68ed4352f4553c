"""A fallback chain: several providers behind one, tried in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ProviderUnavailable

log = structlog.get_logger(__name__)


class ProviderChain(ImageProvider):
    """Tries each provider in turn, moving on only when one is unavailable and nothing of
    the request can still be running there. Refusals, invalid input, unusable output and
    timeouts end the request: another provider would cost a second image for the same
    answer, or keep the user waiting twice as long."""

    def __init__(self, providers: Sequence[ImageProvider]) -> None:
        if not providers:
            raise ValueError("a provider chain needs at least one provider")
        self.providers = list(providers)
        self.name = ",".join(provider.name for provider in self.providers)

    async def start(self) -> None:
        for provider in self.providers:
            await provider.start()

    async def stop(self) -> None:
        for provider in reversed(self.providers):
            await provider.stop()

    async def ready(self) -> bool:
        """Ready when any member is: the chain falls back to it."""
        for provider in self.providers:
            if await provider.ready():
                return True
        return False

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        return await self._first_available(lambda provider: provider.generate(request))

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        return await self._first_available(lambda provider: provider.edit(request))

    async def upscale(self, request: ImageRequest) -> list[ProviderImage]:
        return await self._first_available(lambda provider: provider.upscale(request))

    async def vary(self, request: ImageRequest) -> list[ProviderImage]:
        return await self._first_available(lambda provider: provider.vary(request))

    async def _first_available(
        self, call: Callable[[ImageProvider], Awaitable[list[ProviderImage]]]
    ) -> list[ProviderImage]:
        *fallible, last = self.providers
        for index, provider in enumerate(fallible):
            try:
                return await call(provider)
            except ProviderUnavailable as exc:
                if exc.may_still_run:
                    raise
                log.warning(
                    "provider_fallback",
                    failed=provider.name,
                    next=self.providers[index + 1].name,
                    error=repr(exc),
                )
        return await call(last)
