"""Checks on image bytes shared by the front ends, moderation and providers.

Every image is bounded before it costs memory: its size is read from the header and
refused beyond :data:`MAX_PIXELS` (16 MP, e.g. 4096 x 4096: about 64 MiB decoded as RGBA)
before any pixel is decoded, and only JPEG, PNG and WebP are read (the formats every
provider and Telegram take; Pillow's other decoders are never reached). Decoding is
CPU-bound: callers run these functions in a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile

from fulmine.errors import ImageTooLarge, InvalidInput

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 16 * 1024 * 1024
FORMATS = ("JPEG", "PNG", "WEBP")
REDUCED_SIDE = 512  # what the image model looks at: it scales to 256 x 256 anyway


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    format: str  # Pillow's name, e.g. "PNG"
    mime_type: str  # e.g. "image/png"


def _open(data: bytes, max_bytes: int, max_pixels: int, source: str) -> ImageFile.ImageFile:
    """The image opened from its header only, within the limits (nothing decoded yet)."""
    if not data:
        raise InvalidInput(source, "empty image")
    if len(data) > max_bytes:
        raise InvalidInput(source, f"image is {len(data)} bytes, limit {max_bytes}")
    try:
        # Pillow warns (or raises) on huge headers inside Image.open; make the warning
        # an error here so it never escapes to the caller's log or test run.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(source, "image too large to decode safely") from exc
    except Exception as exc:  # Pillow raises many types on hostile input
        raise InvalidInput(source, "not a JPEG, PNG or WebP image") from exc
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise ImageTooLarge(source, width, height, max_pixels)
    return img


def inspect_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    source: str = "input",
    decode: bool = True,
) -> ImageInfo:
    """Check that ``data`` is a whole JPEG, PNG or WebP image within the limits.

    The size is checked from the header before any pixel is decoded. ``decode`` False:
    the header alone (for bytes checked whole before, on their way to a provider).
    Raises :class:`fulmine.errors.InvalidInput` (``ImageTooLarge`` beyond ``max_pixels``)
    with ``source`` as who found it so. CPU-bound when decoding: call it from a thread.
    """
    img = _open(data, max_bytes, max_pixels, source)
    with img:
        fmt = img.format or "unknown"
        mime = img.get_format_mimetype() or "application/octet-stream"
        width, height = img.size
        if decode:
            try:
                img.load()  # decode everything: catches truncated or corrupt data
            except Exception as exc:
                raise InvalidInput(source, f"not a readable image: {exc}") from exc
    return ImageInfo(width=width, height=height, format=fmt, mime_type=mime)


def reduced_copy(data: bytes, side: int = REDUCED_SIDE, source: str = "input") -> Image.Image:
    """An RGB copy at most ``side`` pixels wide and high, for checks that look at the
    picture, not its detail. JPEG decodes at a reduced scale (draft mode), so a large photo
    never exists at full size in memory. CPU-bound: call it from a thread."""
    img = _open(data, DEFAULT_MAX_BYTES, MAX_PIXELS, source)
    try:
        with img:
            img.draft("RGB", (side, side))
            img.thumbnail((side, side))
            return img.convert("RGB")
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(source, f"not a readable image: {exc}") from exc
