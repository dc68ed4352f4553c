"""Offline development provider: draws clearly labelled stand-in images with Pillow.

Nothing it makes is a real generated image: every output carries a solid banner saying so.
An edit is a fresh drawing of its instruction at the input's size (nothing of the input's
own text shows through). Captions stay legible in any script (``providers.placeholder_text``).
"""

from __future__ import annotations

import asyncio
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont, ImageOps, ImageStat

from fulmine.errors import InvalidInput
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.images import inspect_image
from providers.placeholder_text import fitting_font, legible, text_font, wrap

GENERATE_SIZE = 768
MAX_EDIT_SIDE = 2048
MAX_IMAGES = 10  # Telegram sends at most 10 photos in one media group
BANNER_FILL = (255, 214, 0)  # signal yellow
BANNER_TEXT = (0, 0, 0)
BANNER_TITLE = "PLACEHOLDER"
# The bundled font has ASCII glyphs (and a few more) only, hence "-" rather than an em dash.
BANNER_SUBTITLE = "development provider - not a real image"


def banner_height(width: int, height: int) -> int:
    """Height of the banner band drawn across the top of a ``width`` x ``height`` image."""
    return max(12, min(height // 3, round(min(width, height) * 0.18)))


def _label(img: Image.Image, caption: str) -> None:
    """Draw the banner and the word-wrapped ``caption`` onto ``img`` in place."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    band = banner_height(w, h)
    margin = max(2, w // 40)
    draw.rectangle((0, 0, w - 1, band - 1), fill=BANNER_FILL)
    title = fitting_font(draw, BANNER_TITLE, band * 45 // 100, w - 2 * margin)
    sub = fitting_font(draw, BANNER_SUBTITLE, band * 22 // 100, w - 2 * margin)
    draw.text((w // 2, band * 38 // 100), BANNER_TITLE, font=title, fill=BANNER_TEXT, anchor="mm")
    draw.text((w // 2, band * 78 // 100), BANNER_SUBTITLE, font=sub, fill=BANNER_TEXT, anchor="mm")

    font = text_font(max(10, min(w, h) // 24))
    line_h = round(font.size * 1.3) if isinstance(font, ImageFont.FreeTypeFont) else 12
    lines = wrap(draw, legible(caption) or "(no prompt)", font, w - 2 * margin)
    room = max(1, (h - band - 2 * margin) // line_h)
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1] + " …"]
    # Caption at the bottom on a darkened strip, so it stays readable on any picture.
    top = h - margin - len(lines) * line_h
    strip = (0, max(band, top - margin), w, h)
    img.paste((0, 0, 0), strip, mask=Image.new("L", (w, strip[3] - strip[1]), 190))
    stroke = max(1, line_h // 12)
    for i, line in enumerate(lines):
        draw.text(
            (margin, top + i * line_h),
            line,
            font=font,
            fill="white",
            stroke_width=stroke,
            stroke_fill="black",
        )


def _png(img: Image.Image) -> ProviderImage:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return ProviderImage(data=buf.getvalue(), content_type="image/png")


def _variant_note(index: int, count: int) -> str:
    return f" [variant {index + 1}/{count}]" if count > 1 else ""


def generated_size(aspect_ratio: str) -> tuple[int, int]:
    """``W:H`` with the longer side GENERATE_SIZE pixels."""
    width, _, height = aspect_ratio.partition(":")
    w, h = int(width), int(height)
    if w >= h:
        return GENERATE_SIZE, max(1, round(GENERATE_SIZE * h / w))
    return max(1, round(GENERATE_SIZE * w / h)), GENERATE_SIZE


Colour = tuple[int, int, int]


def _digest(request: ImageRequest, index: int) -> bytes:
    return hashlib.sha256(f"{request.prompt}\0{request.seed}\0{index}".encode()).digest()


def _colour(three: bytes) -> Colour:
    return three[0], three[1], three[2]


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    """A fresh picture: ``top`` fading into ``bottom``."""
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _draw_generated(request: ImageRequest, index: int, count: int) -> ProviderImage:
    digest = _digest(request, index)
    img = _gradient(
        generated_size(request.aspect_ratio), _colour(digest[0:3]), _colour(digest[3:6])
    )
    _label(img, request.prompt + _variant_note(index, count))
    return _png(img)


def _draw_varied(data: bytes, request: ImageRequest, index: int, count: int) -> ProviderImage:
    """Image-to-image: the input blended with a new drawing of the prompt, by strength."""
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    img.thumbnail((MAX_EDIT_SIDE, MAX_EDIT_SIDE))  # only ever shrinks
    drawn = Image.new("RGB", img.size, _colour(_digest(request, index)[0:3]))
    varied = Image.blend(img, drawn, max(0.0, min(1.0, request.strength)))
    _label(varied, "VARIATION: " + request.prompt + _variant_note(index, count))
    return _png(varied)


def _draw_edited(data: bytes, request: ImageRequest, index: int, count: int) -> ProviderImage:
    """A fresh drawing of the instruction at the input's size: from the input's average
    colour, inverted (the change), into a colour of the instruction. Nothing else of the
    input is kept, so no earlier caption or banner shows through the new one."""
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    img.thumbnail((MAX_EDIT_SIDE, MAX_EDIT_SIDE))  # only ever shrinks
    red, green, blue = (round(mean) for mean in ImageStat.Stat(img).mean)
    inverted = (255 - red, 255 - green, 255 - blue)
    fresh = _gradient(img.size, inverted, _colour(_digest(request, index)[0:3]))
    _label(fresh, "EDIT: " + request.prompt + _variant_note(index, count))
    return _png(fresh)


def _draw_upscaled(data: bytes) -> ProviderImage:
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    img.thumbnail((MAX_EDIT_SIDE // 2, MAX_EDIT_SIDE // 2))
    img = img.resize((img.width * 2, img.height * 2), Image.Resampling.NEAREST)
    _label(img, "UPSCALE x2")
    return _png(img)


class PlaceholderProvider(ImageProvider):
    """Makes labelled stand-in images offline; for development and tests only."""

    name = "placeholder"

    async def ready(self) -> bool:
        return True  # draws in this process: nothing to wait for

    def _count(self, request: ImageRequest) -> int:
        if not 1 <= request.num_images <= MAX_IMAGES:
            raise InvalidInput(self.name, f"num_images must be 1..{MAX_IMAGES}")
        return request.num_images

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        n = self._count(request)
        return [await asyncio.to_thread(_draw_generated, request, i, n) for i in range(n)]

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        n = self._count(request)
        data = request.input_image
        if data is None:
            raise InvalidInput(self.name, "edit needs an input image")
        await asyncio.to_thread(inspect_image, data, source=self.name)
        return [await asyncio.to_thread(_draw_edited, data, request, i, n) for i in range(n)]

    async def vary(self, request: ImageRequest) -> list[ProviderImage]:
        n = self._count(request)
        data = request.input_image
        if data is None:
            raise InvalidInput(self.name, "a variation needs an input image")
        await asyncio.to_thread(inspect_image, data, source=self.name)
        return [await asyncio.to_thread(_draw_varied, data, request, i, n) for i in range(n)]

    async def upscale(self, request: ImageRequest) -> list[ProviderImage]:
        data = request.input_image
        if data is None:
            raise InvalidInput(self.name, "upscale needs an input image")
        await asyncio.to_thread(inspect_image, data, source=self.name)
        return [await asyncio.to_thread(_draw_upscaled, data)]
