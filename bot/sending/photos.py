"""Fitting provider images to what Telegram accepts as a photo.

Telegram takes a photo upload of at most 10 MB, with width + height at most 10000 and
sides at most 20:1. Images that fit go unchanged; bigger ones are scaled down and
re-encoded; an image too elongated for a photo goes as a document instead (cropping would
change the picture).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from providers.base import ProviderImage

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000
PHOTO_MAX_RATIO = 20
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
JPEG_QUALITIES = (92, 85, 75)
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


@dataclass(frozen=True, slots=True)
class Prepared:
    """An image ready to send: as a photo when ``as_photo``, else as a document."""

    data: bytes
    content_type: str
    as_photo: bool

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "png")


def _encode(image: Image.Image, fmt: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _shrunk_to_fit(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width + height <= PHOTO_MAX_SIDES:
        return image
    scale = (PHOTO_MAX_SIDES - 2) / (width + height)
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _as_photo_bytes(image: Image.Image) -> tuple[bytes, str]:
    """PNG if it fits in 10 MB, else JPEG at falling quality, then smaller, until it does."""
    if image.mode in ("RGBA", "LA", "P"):
        png = _encode(image, "PNG", optimize=1)
        if len(png) <= PHOTO_MAX_BYTES:
            return png, "image/png"
    rgb = image.convert("RGB")
    while True:
        for quality in JPEG_QUALITIES:
            jpeg = _encode(rgb, "JPEG", quality=quality)
            if len(jpeg) <= PHOTO_MAX_BYTES:
                return jpeg, "image/jpeg"
        rgb = rgb.resize((max(1, rgb.width * 3 // 4), max(1, rgb.height * 3 // 4)))


def _unchanged(image: ProviderImage, opened: Image.Image) -> Prepared | None:
    fmt = opened.format or ""
    width, height = opened.size
    if max(width, height) > PHOTO_MAX_RATIO * min(width, height):
        return Prepared(image.data, image.content_type, as_photo=False)
    fits = width + height <= PHOTO_MAX_SIDES and len(image.data) <= PHOTO_MAX_BYTES
    if fits and fmt in PHOTO_FORMATS:
        return Prepared(image.data, PHOTO_FORMATS[fmt], as_photo=True)
    return None


async def fitted(image: ProviderImage) -> Prepared:
    """``prepare``, in a worker thread only when the image must be re-encoded.

    Most images go as they are, which takes only reading the header: cheap enough for
    the event loop, and cheaper than the hop to a thread.
    """
    with Image.open(io.BytesIO(image.data)) as opened:
        unchanged = _unchanged(image, opened)
    if unchanged is not None:
        return unchanged
    return await asyncio.to_thread(prepare, image)


def prepare(image: ProviderImage) -> Prepared:
    """The image as Telegram will take it. CPU-bound: call it from a worker thread."""
    with Image.open(io.BytesIO(image.data)) as opened:
        unchanged = _unchanged(image, opened)
        if unchanged is not None:
            return unchanged
        picture = _shrunk_to_fit(ImageOps.exif_transpose(opened))
    data, content_type = _as_photo_bytes(picture)
    return Prepared(data, content_type, as_photo=True)
