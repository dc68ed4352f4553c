"""The image provider interface.

Contract for every provider:

- ``start()`` and ``stop()`` are idempotent; a provider may open clients in ``start``.
- ``ready()`` says, without making an image and within a few seconds, whether a request
  could be served now: what can be checked cheaply (a self-hosted server's own readiness,
  a hosted service's key being configured, the provider started). It never raises.
- ``generate`` makes ``request.num_images`` images from a prompt; ``edit`` makes them from
  the prompt and ``request.input_image`` (raw bytes of a decoded-and-checked image; a
  provider never receives a chat platform's URL).
- ``upscale`` makes a larger copy of ``request.input_image`` (the prompt is unused); a
  provider that cannot answers ``InvalidInput``.
- ``vary`` makes new images close to ``request.input_image`` from the prompt: image-to-image
  at ``request.strength`` (0: the input, 1: the prompt alone); a provider that cannot
  answers ``InvalidInput``.
- All return at least one :class:`ProviderImage` with bytes of an encoded image, or raise
  one of ``providers.errors``: ``ProviderTimeout``, ``ProviderUnavailable`` (try another),
  ``ContentRefused`` (the provider's own policy; do not retry), ``InvalidInput``.
- A provider translates only: it maps its service's errors to ours with
  ``raise X(...) from exc`` and never talks to the chat platform.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from fulmine.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ImageRequest:
    prompt: str
    input_image: bytes | None = None
    num_images: int = 1
    seed: int | None = None
    aspect_ratio: str = "1:1"
    lora: str | None = None
    """A LoRA's weights reference (None: the provider's configured one, if any)."""
    lora_scale: float = 1.0
    strength: float = 0.6
    """Image-to-image (``vary``): how far from the input image (0: the input, 1: a new one)."""


@dataclass(frozen=True, slots=True)
class ProviderImage:
    data: bytes
    content_type: str  # e.g. "image/png"


class ImageProvider(ABC):
    name: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients; idempotent."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close clients; idempotent."""

    @abstractmethod
    async def ready(self) -> bool: ...

    @abstractmethod
    async def generate(self, request: ImageRequest) -> list[ProviderImage]: ...

    @abstractmethod
    async def edit(self, request: ImageRequest) -> list[ProviderImage]: ...

    async def upscale(self, request: ImageRequest) -> list[ProviderImage]:
        """A larger copy of ``request.input_image``; providers without one refuse."""
        raise InvalidInput(self.name, "this provider does not upscale")

    async def vary(self, request: ImageRequest) -> list[ProviderImage]:
        """Image-to-image from ``request.input_image``; providers without one refuse."""
        raise InvalidInput(self.name, "this provider does not make variations")
