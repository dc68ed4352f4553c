"""Fitting provider images to Telegram's photo limits."""

from __future__ import annotations

import io
import os

from PIL import Image

from bot.sending.photos import PHOTO_MAX_BYTES, fitted, prepare
from providers.base import ProviderImage


def _image(
    size: tuple[int, int], fmt: str = "PNG", noise: bool = False, mode: str = "RGB"
) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new(mode, size, (0, 128, 128, 100))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_photo_within_the_limits_is_sent_unchanged() -> None:
    data = _image((1024, 768))
    prepared = prepare(ProviderImage(data, "image/png"))
    assert (prepared.data, prepared.content_type, prepared.as_photo) == (data, "image/png", True)


def test_sides_over_10000_are_scaled_down_keeping_the_shape() -> None:
    prepared = prepare(ProviderImage(_image((9600, 500)), "image/png"))
    width, height = _open(prepared.data).size
    assert prepared.as_photo
    assert width + height <= 10_000
    assert abs(width / height - 19.2) < 0.1


def test_over_10_mb_is_re_encoded_under_it() -> None:
    data = _image((2000, 1900), noise=True)
    assert len(data) > PHOTO_MAX_BYTES
    prepared = prepare(ProviderImage(data, "image/png"))
    assert prepared.as_photo
    assert len(prepared.data) <= PHOTO_MAX_BYTES
    assert prepared.content_type == "image/jpeg"
    assert _open(prepared.data).size == (2000, 1900)


def test_too_elongated_for_a_photo_goes_as_a_document() -> None:
    data = _image((2100, 100))
    prepared = prepare(ProviderImage(data, "image/png"))
    assert (prepared.data, prepared.as_photo) == (data, False)


def test_other_formats_become_a_photo_format() -> None:
    prepared = prepare(ProviderImage(_image((300, 200), "WEBP"), "image/webp"))
    assert prepared.as_photo
    assert _open(prepared.data).format in {"JPEG", "PNG"}
    transparent = prepare(ProviderImage(_image((300, 200), "WEBP", mode="RGBA"), "image/webp"))
    assert _open(transparent.data).format == "PNG"


async def test_fitted_is_prepare_whether_or_not_the_image_is_re_encoded() -> None:
    as_is = ProviderImage(_image((300, 200)), "image/png")
    re_encoded = ProviderImage(_image((300, 200), "WEBP"), "image/webp")
    elongated = ProviderImage(_image((9600, 300)), "image/png")
    for image in (as_is, re_encoded, elongated):
        assert await fitted(image) == prepare(image)
    assert (await fitted(as_is)).data == as_is.data
    assert (await fitted(re_encoded)).content_type != "image/webp"
