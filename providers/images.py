"""Checks on image bytes shared by providers: size limits, format, decompression bombs."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from fulmine.errors import InvalidInput

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    format: str  # Pillow's name, e.g. "PNG"
    mime_type: str  # e.g. "image/png"


def inspect_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    source: str = "input",
) -> ImageInfo:
    """Check that ``data`` is a whole, decodable image within the limits.

    The pixel count is checked from the header before any pixel is decoded. Raises
    :class:`InvalidInput` (with ``source`` as its provider) on any failure. CPU-bound:
    call it from a worker thread inside async code.
    """
    if not data:
        raise InvalidInput(source, "empty image")
    if len(data) > max_bytes:
        raise InvalidInput(source, f"image is {len(data)} bytes, limit {max_bytes}")
    try:
        # Pillow warns (or raises) on huge headers inside Image.open; make the warning
        # an error here so it never escapes to the caller's log or test run.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise InvalidInput(
                        source, f"image is {width}x{height} pixels, limit {max_pixels}"
                    )
                fmt = img.format or "unknown"
                mime = img.get_format_mimetype() or "application/octet-stream"
                img.load()  # decode everything: catches truncated or corrupt data
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(source, f"image too large to decode safely: {exc}") from exc
    except Exception as exc:  # Pillow raises many types on hostile input
        raise InvalidInput(source, f"not a readable image: {exc}") from exc
    return ImageInfo(width=width, height=height, format=fmt, mime_type=mime)
