"""The image store of a process, chosen once here from settings (``IMAGE_STORE``): the
local filesystem or an S3-compatible bucket (the interface is ``providers.storage.base``)."""

from __future__ import annotations

from orchestrator.settings import Settings
from providers.storage.base import ImageStore
from providers.storage.local import LocalImageStore
from providers.storage.s3 import S3ImageStore


def build_image_store(settings: Settings, link_key: bytes) -> ImageStore:
    """``link_key`` signs the links of a store that serves its own files."""
    if settings.image_store == "s3":
        key_id, secret = settings.image_s3_access_key_id, settings.image_s3_secret_access_key
        return S3ImageStore(
            settings.image_s3_bucket or "",
            endpoint_url=settings.image_s3_endpoint_url,
            region=settings.image_s3_region,
            access_key_id=key_id.get_secret_value() if key_id else None,
            secret_access_key=secret.get_secret_value() if secret else None,
            prefix=settings.image_s3_prefix,
        )
    base_url = str(settings.public_url).rstrip("/") if settings.public_url else ""
    return LocalImageStore(settings.image_store_path, link_key, base_url)
