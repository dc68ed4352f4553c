"""Image providers by name."""

from __future__ import annotations

from providers.base import ImageProvider
from providers.placeholder import PlaceholderProvider

PROVIDERS: dict[str, type[ImageProvider]] = {
    "placeholder": PlaceholderProvider,
}


def build_provider(name: str) -> ImageProvider:
    """Raises KeyError for an unknown name."""
    return PROVIDERS[name]()
