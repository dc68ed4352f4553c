from __future__ import annotations

import io
import os
import struct
import warnings
import zlib

import pytest
from PIL import Image

from fulmine.errors import ImageTooLarge, InvalidInput
from providers.images import MAX_PIXELS, ImageInfo, inspect_image, reduced_copy


def _encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def _noise_png(width: int = 64, height: int = 64) -> bytes:
    """A PNG that barely compresses, so cutting it short cuts into the pixel data."""
    return _encode(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)))


def _claim_size(png: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR chunk of ``png`` to claim another size (with a valid CRC)."""
    assert png[12:16] == b"IHDR"
    ihdr = png[16:29]
    data = struct.pack(">II", width, height) + ihdr[8:]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + data))
    return png[:16] + data + crc + png[33:]


def test_valid_png_is_described() -> None:
    info = inspect_image(_encode(Image.new("RGB", (40, 30), "red")))
    assert info == ImageInfo(width=40, height=30, format="PNG", mime_type="image/png")


def test_valid_jpeg_is_described() -> None:
    info = inspect_image(_encode(Image.new("RGB", (8, 9), "blue"), "JPEG"))
    assert (info.width, info.height, info.format, info.mime_type) == (8, 9, "JPEG", "image/jpeg")


def test_too_many_bytes_is_refused_with_source() -> None:
    data = _encode(Image.new("RGB", (10, 10)))
    assert inspect_image(data, max_bytes=len(data)).width == 10
    with pytest.raises(InvalidInput, match="bytes") as info:
        inspect_image(data, max_bytes=len(data) - 1, source="someprov")
    assert info.value.source == "someprov"


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_non_image_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as info:
        inspect_image(data)
    assert info.value.source == "input"


def test_truncated_png_is_refused() -> None:
    png = _noise_png()
    truncated = png[: len(png) // 2]
    with Image.open(io.BytesIO(truncated)) as img:  # the header alone still reads fine
        assert img.size == (64, 64)
    inspect_image(png)
    with pytest.raises(InvalidInput, match="not a readable image"):
        inspect_image(truncated)


def test_pixel_limit_is_checked() -> None:
    data = _encode(Image.new("L", (100, 100)))
    assert inspect_image(data, max_pixels=10_000).height == 100
    with pytest.raises(InvalidInput, match="pixels"):
        inspect_image(data, max_pixels=9_999)


def test_huge_header_is_refused_before_decoding() -> None:
    # 8000x8000 is over our 50 Mpx default but under Pillow's own bomb limit: only our
    # header check can catch it (decoding would fail differently, as "truncated").
    bomb = _claim_size(_encode(Image.new("L", (1, 1))), 8000, 8000)
    assert len(bomb) < 100
    with pytest.raises(InvalidInput, match="8000x8000 pixels"):
        inspect_image(bomb)


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_decompression_bomb_is_refused_without_warning(side: int) -> None:
    # 10000^2 is in Pillow's warning band; 100000^2 makes Pillow raise. Even with
    # warnings shown rather than raised, nothing may escape inspect_image.
    bomb = _claim_size(_encode(Image.new("L", (1, 1))), side, side)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InvalidInput):
            inspect_image(bomb, max_pixels=10**12)
    assert caught == []


def _encoded(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=fmt)
    return buffer.getvalue()


def test_the_pixel_limit_is_16_megapixels_read_from_the_header() -> None:
    assert MAX_PIXELS == 16 * 1024 * 1024
    at_limit = _encoded("PNG", (4096, 4096))
    assert inspect_image(at_limit, decode=False).width == 4096
    over = _encoded("PNG", (4097, 4096))
    with pytest.raises(ImageTooLarge) as info:
        inspect_image(over, decode=False)
    assert (info.value.width, info.value.height, info.value.limit) == (4097, 4096, MAX_PIXELS)


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "GIF", "ICO", "PCX", "TGA", "SGI", "PPM"])
def test_only_jpeg_png_and_webp_are_read(fmt: str) -> None:
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP image"):
        inspect_image(_encoded(fmt))


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_the_three_formats_are_read(fmt: str, mime: str) -> None:
    assert inspect_image(_encoded(fmt)).mime_type == mime


def test_a_reduced_copy_is_small_whatever_the_original() -> None:
    copy = reduced_copy(_encoded("JPEG", (4000, 3000)))
    assert max(copy.size) <= 512
    assert copy.mode == "RGB"
    with pytest.raises(ImageTooLarge):
        reduced_copy(_encoded("PNG", (5000, 5000)))
