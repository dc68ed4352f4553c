"""Image bytes to and from pixels, in a thread pool of its own (never on the GPU thread).

Output: uint8 RGB arrays from the GPU batch to PNG, WebP or JPEG. Input (edits): its
size read from the header and checked before any pixel is decoded (bytes, pixels,
decompression bombs), then decoded to RGB and resized to the size the batch runs at.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from gpu_server.errors import BadInputImage
from gpu_server.schemas import OutputFormat

T = TypeVar("T")

MAX_INPUT_PIXELS = 16 * 1024 * 1024  # e.g. 4096 x 4096, as the orchestrator's inputs
INPUT_FORMATS = ("JPEG", "PNG", "WEBP")
PIL_FORMATS: dict[OutputFormat, tuple[str, str]] = {
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "jpeg": ("JPEG", "image/jpeg"),
}


def encode_pixels(pixels: NDArray[np.uint8], fmt: OutputFormat, quality: int) -> bytes:
    """``pixels``: height x width x 3, uint8."""
    pil_format, _ = PIL_FORMATS[fmt]
    buffer = io.BytesIO()
    options: dict[str, object] = {} if fmt == "png" else {"quality": quality}
    Image.fromarray(pixels, mode="RGB").save(buffer, format=pil_format, **options)
    return buffer.getvalue()


def image_size(data: bytes, max_bytes: int, max_pixels: int = MAX_INPUT_PIXELS) -> tuple[int, int]:
    """Width and height of a whole, decodable input image within the limits, from its
    header first (:class:`BadInputImage` otherwise)."""
    if not data:
        raise BadInputImage("empty image")
    if len(data) > max_bytes:
        raise BadInputImage(f"{len(data)} bytes, limit {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=INPUT_FORMATS) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise BadInputImage(f"{width}x{height} pixels, limit {max_pixels}")
                img.load()  # truncated or corrupt data fails here
    except BadInputImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadInputImage("too large to decode safely") from exc
    except Exception as exc:  # Pillow raises many types on hostile input
        raise BadInputImage(f"not a readable image ({type(exc).__name__})") from exc
    return width, height


def decode_resized(data: bytes, width: int, height: int) -> Image.Image:
    """The input image as RGB at exactly ``width`` x ``height`` (EXIF rotation applied)."""
    with Image.open(io.BytesIO(data), formats=INPUT_FORMATS) as img:
        rgb = ImageOps.exif_transpose(img).convert("RGB")
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)
    return rgb


class ImageCodec:
    """Runs encoding and decoding on its own threads; start and stop are idempotent."""

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="gpu-codec")

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def encode(self, pixels: NDArray[np.uint8], fmt: OutputFormat, quality: int) -> bytes:
        return await self._run(encode_pixels, pixels, fmt, quality)

    async def input_size(self, data: bytes, max_bytes: int) -> tuple[int, int]:
        return await self._run(image_size, data, max_bytes)

    async def decode(self, data: bytes, width: int, height: int) -> Image.Image:
        return await self._run(decode_resized, data, width, height)

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        if self._pool is None:
            raise RuntimeError("ImageCodec used before start()")
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
