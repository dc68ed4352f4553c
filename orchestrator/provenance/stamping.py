"""One delivered image made to say where it came from: the watermark written into its
pixels, then the C2PA manifest signed over the marked file. CPU-bound: run in a thread."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from orchestrator.provenance import watermark
from providers.images import inspect_image

JPEG_QUALITY = 95
READ_SIDE = 1024  # the watermark is read on a copy at most this large (it survives resizing)


def carries_mark(data: bytes) -> bool:
    """Whether ``data`` (a checked image) is large enough to carry a mark: its header only."""
    info = inspect_image(data, source="output", decode=False)
    return min(info.width, info.height) >= watermark.MIN_SIDE


def mark(data: bytes, payload: int) -> tuple[bytes, str] | None:
    """``data`` (a checked JPEG, PNG or WebP) re-encoded with ``payload`` in its pixels, and
    its MIME type: PNG stays PNG (lossless); JPEG and WebP become JPEG at quality 95.
    None for an image too small to carry a mark."""
    info = inspect_image(data, source="output", decode=False)
    if min(info.width, info.height) < watermark.MIN_SIDE:
        return None
    with Image.open(io.BytesIO(data), formats=[info.format]) as img:
        rgb = np.asarray(img.convert("RGB"))
    marked = Image.fromarray(watermark.embed(rgb, payload))
    out = io.BytesIO()
    if info.format == "PNG":
        marked.save(out, "PNG", compress_level=6)
        return out.getvalue(), "image/png"
    marked.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), "image/jpeg"


def read_mark(data: bytes) -> watermark.Reading | None:
    """What ``data``'s pixels say (None when too small to carry a mark). ``data`` must
    have been checked with ``inspect_image`` already."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (READ_SIDE, READ_SIDE))  # JPEG: decoded at a reduced scale
        img.thumbnail((READ_SIDE, READ_SIDE))
        rgb = np.asarray(img.convert("RGB"))
    if min(rgb.shape[:2]) < watermark.MIN_SIDE:
        return None
    return watermark.read(rgb)
