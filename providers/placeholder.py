"""Offline development provider: draws clearly labelled stand-in images with Pillow.

Nothing it makes is a real generated image: every output carries a solid banner saying so.
"""

from __future__ import annotations

import asyncio
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont, ImageOps

from fulmine.errors import InvalidInput
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.images import inspect_image

GENERATE_SIZE = 768
MAX_EDIT_SIDE = 2048
MAX_IMAGES = 10  # Telegram sends at most 10 photos in one media group
BANNER_FILL = (255, 214, 0)  # signal yellow
BANNER_TEXT = (0, 0, 0)
BANNER_TITLE = "PLACEHOLDER"
# The default font has ASCII glyphs only, hence "-" rather than an em dash.
BANNER_SUBTITLE = "development provider - not a real image"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def banner_height(width: int, height: int) -> int:
    """Height of the banner band drawn across the top of a ``width`` x ``height`` image."""
    return max(12, min(height // 3, round(min(width, height) * 0.18)))


def _font(size: int) -> Font:
    return ImageFont.load_default(size=max(6, size))


def _fitting_font(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> Font:
    font = _font(size)
    while size > 6 and draw.textlength(text, font=font) > max_width:
        size = size * 9 // 10
        font = _font(size)
    return font


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _label(img: Image.Image, caption: str) -> None:
    """Draw the banner and the word-wrapped ``caption`` onto ``img`` in place."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    band = banner_height(w, h)
    margin = max(2, w // 40)
    draw.rectangle((0, 0, w - 1, band - 1), fill=BANNER_FILL)
    title = _fitting_font(draw, BANNER_TITLE, band * 45 // 100, w - 2 * margin)
    sub = _fitting_font(draw, BANNER_SUBTITLE, band * 22 // 100, w - 2 * margin)
    draw.text((w // 2, band * 38 // 100), BANNER_TITLE, font=title, fill=BANNER_TEXT, anchor="mm")
    draw.text((w // 2, band * 78 // 100), BANNER_SUBTITLE, font=sub, fill=BANNER_TEXT, anchor="mm")

    font = _font(max(10, min(w, h) // 24))
    line_h = round(font.size * 1.3) if isinstance(font, ImageFont.FreeTypeFont) else 12
    lines = _wrap(draw, caption or "(no prompt)", font, w - 2 * margin)
    room = max(1, (h - band - 2 * margin) // line_h)
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1] + " …"]
    # Caption at the bottom on a darkened strip, so it stays readable on any picture
    # (and clear of an earlier caption when a placeholder image is edited again).
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


def _draw_generated(request: ImageRequest, index: int, count: int) -> ProviderImage:
    prompt, seed = request.prompt, request.seed
    size = generated_size(request.aspect_ratio)
    digest = hashlib.sha256(f"{prompt}\0{seed}\0{index}".encode()).digest()
    top = Image.new("RGB", size, tuple(digest[0:3]))
    bottom = Image.new("RGB", size, tuple(digest[3:6]))
    mask = Image.linear_gradient("L").resize(size)
    img = Image.composite(bottom, top, mask)
    _label(img, prompt + _variant_note(index, count))
    return _png(img)


def _draw_varied(data: bytes, request: ImageRequest, index: int, count: int) -> ProviderImage:
    """Image-to-image: the input blended with a new drawing of the prompt, by strength."""
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    img.thumbnail((MAX_EDIT_SIDE, MAX_EDIT_SIDE))  # only ever shrinks
    digest = hashlib.sha256(f"{request.prompt}\0{request.seed}\0{index}".encode()).digest()
    drawn = Image.new("RGB", img.size, tuple(digest[0:3]))
    varied = Image.blend(img, drawn, max(0.0, min(1.0, request.strength)))
    _label(varied, "VARIATION: " + request.prompt + _variant_note(index, count))
    return _png(varied)


def _draw_edited(data: bytes, prompt: str, index: int, count: int) -> ProviderImage:
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    img.thumbnail((MAX_EDIT_SIDE, MAX_EDIT_SIDE))  # only ever shrinks
    img = ImageOps.invert(img)
    if index:  # later variants also rotate the hue
        h, s, v = img.convert("HSV").split()
        h = h.point(lambda x: (x + 60 * index) % 256)
        img = Image.merge("HSV", (h, s, v)).convert("RGB")
    _label(img, "EDIT: " + prompt + _variant_note(index, count))
    return _png(img)


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
        return [await asyncio.to_thread(_draw_edited, data, request.prompt, i, n) for i in range(n)]

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
