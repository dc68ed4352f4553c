"""Varied test images built in code, and what Telegram does to a photo.

Kinds: photo-like (smooth structure, noise and detail), the placeholder provider's
labelled images, flat illustrations, text-heavy pages, dark scenes, gradients and small
images; sizes from 256 px to 2048 px in several aspect ratios. ``telegram_photo``
applies Telegram's treatment: the long side brought down to 1280 px, then JPEG at a
quality between 80 and 87.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from providers.base import ImageRequest
from providers.placeholder import PlaceholderProvider

RGB = NDArray[np.uint8]
SIZES = [(1024, 1024), (1344, 768), (768, 1344), (2048, 1536), (1280, 720), (640, 480)]
SMALL = [(256, 256), (320, 240), (200, 300)]
WORDS = [
    "fox",
    "lightning",
    "river",
    "night",
    "market",
    "orange",
    "vector",
    "seven",
    "quiet",
    "station",
]


def _photo(rng: np.random.Generator, w: int, h: int) -> RGB:
    coarse = rng.uniform(0, 255, (h // 48 + 2, w // 48 + 2, 3)).astype(np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC), float)
    fine = rng.uniform(0, 255, (h // 6 + 2, w // 6 + 2, 3)).astype(np.uint8)
    detail = np.asarray(Image.fromarray(fine).resize((w, h), Image.Resampling.BILINEAR), float)
    mixed = 0.75 * base + 0.25 * detail + rng.normal(0, 4, (h, w, 3))
    return np.clip(mixed, 0, 255).astype(np.uint8)


def _flat(rng: np.random.Generator, w: int, h: int) -> RGB:
    img = Image.new("RGB", (w, h), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x, y, x + int(rng.integers(w // 10, w // 2)), y + int(rng.integers(h // 10, h // 2)))
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    return np.asarray(img)


def _text(rng: np.random.Generator, w: int, h: int) -> RGB:
    paper = tuple(int(c) for c in rng.integers(225, 256, 3))
    img = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(img)
    size = max(10, h // 40)
    for y in range(size, h - size, int(size * 1.6)):
        line = " ".join(rng.choice(WORDS, 12))
        draw.text((size, y), line, fill=(20, 20, 30), font_size=size)
    return np.asarray(img)


def _dark(rng: np.random.Generator, w: int, h: int) -> RGB:
    return (_photo(rng, w, h) * rng.uniform(0.08, 0.2)).astype(np.uint8)


def _gradient(rng: np.random.Generator, w: int, h: int) -> RGB:
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, w)[None, :, None] * 0.6 + np.linspace(0, 1, h)[:, None, None] * 0.4
    return (a + (b - a) * t).astype(np.uint8)


def _placeholder(rng: np.random.Generator, w: int, h: int) -> RGB:
    prompt = " ".join(rng.choice(WORDS, 5))
    image = asyncio.run(PlaceholderProvider().generate(ImageRequest(prompt=prompt)))[0]
    img = Image.open(io.BytesIO(image.data)).convert("RGB")
    return np.asarray(img.resize((w, h), Image.Resampling.LANCZOS))


KINDS: dict[str, Callable[[np.random.Generator, int, int], RGB]] = {
    "photo": _photo,
    "placeholder": _placeholder,
    "flat": _flat,
    "text": _text,
    "dark": _dark,
    "gradient": _gradient,
}


def images(count: int, seed: int = 7) -> Iterator[tuple[str, RGB]]:
    """``count`` varied images, kinds and sizes in turn (every fifth one small)."""
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    for i in range(count):
        name = names[i % len(names)]
        sizes = SMALL if i % 5 == 4 else SIZES
        w, h = sizes[int(rng.integers(0, len(sizes)))]
        yield f"{name} {w}x{h}", KINDS[name](rng, w, h)


def telegram_photo(rgb: RGB, quality: int) -> bytes:
    """What Telegram makes of a photo: at most 1280 px on the long side, JPEG ``quality``."""
    img = Image.fromarray(rgb)
    scale = 1280 / max(img.size)
    if scale < 1:
        size = (round(img.width * scale), round(img.height * scale))
        img = img.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def decoded(data: bytes) -> RGB:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
