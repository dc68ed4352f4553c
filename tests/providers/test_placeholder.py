from __future__ import annotations

import dataclasses
import io
import threading

import pytest
from PIL import Image, ImageStat

from fulmine.errors import InvalidInput
from providers import placeholder
from providers.base import ImageRequest, ProviderImage
from providers.placeholder import BANNER_FILL, BANNER_TEXT, PlaceholderProvider, banner_height

PROMPT = "a red fox reading a newspaper in a café, watercolour"


def _open(image: ProviderImage) -> Image.Image:
    assert image.content_type == "image/png"
    img = Image.open(io.BytesIO(image.data))
    assert img.format == "PNG"
    return img.convert("RGB")


def _mean(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as img:
        red, green, blue = (round(m) for m in ImageStat.Stat(img.convert("RGB")).mean)
    return red, green, blue


def _white(img: Image.Image) -> int:
    """How many pixels are caption text (white)."""
    return sum(count for count, colour in img.getcolors(1 << 24) or [] if colour == (255,) * 3)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


async def _generate(prompt: str = PROMPT, seed: int | None = 7, n: int = 1) -> list[bytes]:
    images = await PlaceholderProvider().generate(
        ImageRequest(prompt=prompt, seed=seed, num_images=n)
    )
    return [image.data for image in images]


def _assert_banner(img: Image.Image) -> None:
    band = banner_height(*img.size)
    assert img.getpixel((1, 1)) == BANNER_FILL
    assert img.getpixel((img.width - 2, band - 2)) == BANNER_FILL
    assert img.getpixel((img.width - 2, band + 2)) != BANNER_FILL
    # The band carries dark text, not just the fill colour.
    strip = img.crop((0, 0, img.width, band))
    text_pixels = sum(
        count for count, colour in strip.getcolors(1 << 24) or [] if colour == BANNER_TEXT
    )
    assert text_pixels > img.width // 4


async def test_generate_makes_requested_count_of_labelled_pngs() -> None:
    provider = PlaceholderProvider()
    assert provider.name == "placeholder"
    images = await provider.generate(ImageRequest(prompt=PROMPT, num_images=3))
    assert len(images) == 3
    assert len({image.data for image in images}) == 3
    for image in images:
        img = _open(image)
        assert img.size == (768, 768)
        _assert_banner(img)


async def test_generate_is_deterministic_per_prompt_and_seed() -> None:
    first = await _generate()
    assert await _generate() == first
    assert await _generate(prompt=PROMPT + "!") != first
    assert await _generate(seed=8) != first
    no_seed = await _generate(seed=None)
    assert await _generate(seed=None) == no_seed


async def test_generate_background_depends_on_prompt() -> None:
    # The colour just below the banner comes from the prompt, not only the caption text.
    a = _open(ProviderImage((await _generate("one"))[0], "image/png"))
    b = _open(ProviderImage((await _generate("two"))[0], "image/png"))
    y = banner_height(768, 768) + 2
    assert a.getpixel((760, y)) != b.getpixel((760, y))


async def test_generate_draws_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    original = placeholder._draw_generated

    def spy(request: ImageRequest, index: int, count: int) -> ProviderImage:
        threads.append(threading.get_ident())
        return original(request, index, count)

    monkeypatch.setattr(placeholder, "_draw_generated", spy)
    await _generate(n=2)
    assert len(threads) == 2
    assert threading.get_ident() not in threads


@pytest.mark.parametrize("n", [0, -1, 11])
async def test_bad_image_count_is_invalid(n: int) -> None:
    with pytest.raises(InvalidInput):
        await PlaceholderProvider().generate(ImageRequest(prompt="x", num_images=n))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
async def test_edit_keeps_size_and_changes_the_picture(mode: str) -> None:
    source = Image.new("RGB", (300, 200), (10, 120, 200)).convert(mode)
    images = await PlaceholderProvider().edit(
        ImageRequest(prompt="make it night", input_image=_png(source))
    )
    assert len(images) == 1
    img = _open(images[0])
    assert img.size == (300, 200)
    _assert_banner(img)
    original = source.convert("RGB").getpixel((150, 0))
    assert isinstance(original, tuple)
    # The picture starts from the input's colour, inverted, just below the banner.
    below_banner = img.getpixel((150, banner_height(300, 200)))
    assert isinstance(below_banner, tuple)
    inverted = tuple(255 - c for c in original)
    assert all(abs(a - b) <= 60 for a, b in zip(below_banner, inverted, strict=True))


async def test_an_edit_draws_afresh_without_the_earlier_caption() -> None:
    (fox,) = await _generate("a red fox with a very long caption " * 3)
    flat = Image.new("RGB", (768, 768), _mean(fox))  # the fox's colour, and nothing else
    provider = PlaceholderProvider()
    request = ImageRequest(prompt="night", input_image=fox, seed=5)
    (edited,) = await provider.edit(request)
    (of_flat,) = await provider.edit(dataclasses.replace(request, input_image=_png(flat)))
    # Nothing of the fox's picture (its caption's text included) is in the edit: it is
    # the very image an edit of a flat picture of the fox's average colour makes.
    assert edited.data == of_flat.data
    # and the short new caption leaves the lines the old one had free of text.
    old_caption_rows = _open(ProviderImage(fox, "image/png")).crop((0, 560, 768, 690))
    new_rows = _open(edited).crop((0, 560, 768, 690))
    assert _white(old_caption_rows) > 500
    assert _white(new_rows) == 0


async def test_an_edit_depends_on_its_instruction_and_seed() -> None:
    data = _png(Image.new("RGB", (200, 200), "teal"))
    provider = PlaceholderProvider()

    async def edit(prompt: str, seed: int) -> bytes:
        (image,) = await provider.edit(ImageRequest(prompt=prompt, input_image=data, seed=seed))
        return image.data

    first = await edit("night", 1)
    assert await edit("night", 1) == first
    assert await edit("day", 1) != first
    assert await edit("night", 2) != first


async def test_edit_variants_differ() -> None:
    data = _png(Image.linear_gradient("L").convert("RGB").resize((120, 120)))
    images = await PlaceholderProvider().edit(
        ImageRequest(prompt="x", input_image=data, num_images=2)
    )
    assert len(images) == 2
    assert images[0].data != images[1].data
    assert all(_open(image).size == (120, 120) for image in images)


async def test_edit_downscales_large_input() -> None:
    data = _png(Image.new("RGB", (3000, 1000), "green"))
    images = await PlaceholderProvider().edit(ImageRequest(prompt="x", input_image=data))
    width, height = _open(images[0]).size
    assert width == 2048
    assert abs(height - 683) <= 1


@pytest.mark.parametrize("data", [None, b"", b"definitely not an image"])
async def test_edit_refuses_missing_or_garbage_input(data: bytes | None) -> None:
    with pytest.raises(InvalidInput) as info:
        await PlaceholderProvider().edit(ImageRequest(prompt="x", input_image=data))
    assert info.value.source == "placeholder"


@pytest.mark.parametrize(
    ("aspect_ratio", "size"), [("1:1", (768, 768)), ("16:9", (768, 432)), ("9:16", (432, 768))]
)
async def test_generate_follows_the_aspect_ratio(aspect_ratio: str, size: tuple[int, int]) -> None:
    (image,) = await PlaceholderProvider().generate(
        ImageRequest(prompt="x", aspect_ratio=aspect_ratio)
    )
    assert _open(image).size == size


async def test_vary_stays_close_to_the_input_by_strength() -> None:
    from PIL import ImageChops, ImageStat

    source = io.BytesIO()
    Image.new("RGB", (120, 80), "blue").save(source, format="PNG")
    provider = PlaceholderProvider()

    async def varied(strength: float) -> Image.Image:
        request = ImageRequest(
            prompt="a fox", input_image=source.getvalue(), seed=3, strength=strength
        )
        (image,) = await provider.vary(request)
        return Image.open(io.BytesIO(image.data)).convert("RGB")

    blue = Image.new("RGB", (120, 80), "blue")
    near, far = await varied(0.2), await varied(0.9)
    assert near.size == far.size == (120, 80)  # the input's shape, not a new drawing's

    def distance(image: Image.Image) -> float:
        return sum(ImageStat.Stat(ImageChops.difference(image, blue)).mean)

    assert 0 < distance(near) < distance(far)
