"""Photo checks and sizes, done with Pillow the way Telegram's servers would."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from devtools.emulator.models import ApiError

PHOTO_MAX_BYTES = 10 * 1024 * 1024
"""Telegram's limit for an uploaded photo."""
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
"""Telegram's limit for any other upload."""
DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024
"""Bots can getFile files up to this size."""
PHOTO_MAX_SIDES = 10_000
"""The photo's width plus height may not exceed this."""
PHOTO_MAX_RATIO = 20
THUMBNAIL_BOXES = (90, 320)
"""Smaller sizes made for each photo, like Telegram's ``s`` and ``m`` sizes."""
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


@dataclass(frozen=True)
class Variant:
    """One size of a photo."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PhotoInfo:
    width: int
    height: int
    extension: str


def inspect_photo(data: bytes) -> PhotoInfo:
    """Size and format of a photo, or the ApiError Telegram answers for it."""
    if len(data) > PHOTO_MAX_BYTES:
        raise ApiError("file is too big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                image_format = image.format or "JPEG"
    except Image.DecompressionBombError as exc:
        raise ApiError("PHOTO_INVALID_DIMENSIONS") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ApiError("IMAGE_PROCESS_FAILED") from exc
    if (
        width < 1
        or height < 1
        or width + height > PHOTO_MAX_SIDES
        or max(width, height) > PHOTO_MAX_RATIO * min(width, height)
    ):
        raise ApiError("PHOTO_INVALID_DIMENSIONS")
    return PhotoInfo(width, height, EXTENSIONS.get(image_format, image_format.lower()))


def photo_variants(data: bytes, info: PhotoInfo) -> list[Variant]:
    """The sizes Telegram would list for this photo: smaller JPEG thumbnails, then the photo.

    The full size keeps the uploaded bytes, so what the bot sent can be compared exactly.
    """
    variants: list[Variant] = []
    longest = max(info.width, info.height)
    boxes = [box for box in THUMBNAIL_BOXES if longest > box]
    if boxes:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                rgb = image.convert("RGB")
        except (OSError, ValueError, SyntaxError) as exc:
            raise ApiError("IMAGE_PROCESS_FAILED") from exc
        for box in boxes:
            thumb = rgb.copy()
            thumb.thumbnail((box, box))
            out = io.BytesIO()
            thumb.save(out, format="JPEG", quality=80)
            variants.append(Variant(out.getvalue(), thumb.width, thumb.height))
    variants.append(Variant(data, info.width, info.height))
    return variants
