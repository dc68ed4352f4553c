"""The image store of a process, built from settings (``IMAGE_STORE``): the local
filesystem (the one kind so far; the interface is ``providers.storage.base``)."""

from __future__ import annotations

from orchestrator.settings import Settings
from providers.storage.base import ImageStore
from providers.storage.local import LocalImageStore


def build_image_store(settings: Settings, link_key: bytes) -> ImageStore:
    """``link_key`` signs the links of a store that serves its own files."""
    base_url = str(settings.public_url).rstrip("/") if settings.public_url else ""
    return LocalImageStore(settings.image_store_path, link_key, base_url)
