"""Images are bounded before they cost memory: a small file that decodes huge is refused
from its header with a short answer, and only JPEG, PNG and WebP are read."""

from __future__ import annotations

import io

from PIL import Image

from bot import texts
from tests.conftest import Stack


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 200).save(buffer, format=fmt, optimize=fmt == "PNG")
    return buffer.getvalue()


async def _edit_document(stack: Stack, user_id: int, data: bytes, mime: str) -> None:
    user = stack.emulator.user(user_id, "Ivy")
    chat = stack.emulator.private_chat(user)
    await stack.send(
        stack.emulator.user_message(
            chat, user, document=(data, "picture", mime), caption="/edit make it blue"
        )
    )


async def _provider_calls(stack: Stack) -> int:
    return await stack.runtime.stats.counter("provider_calls:placeholder")


async def test_a_small_png_that_decodes_huge_is_refused_from_its_header(stack: Stack) -> None:
    bomb = _image("PNG", (7071, 7071))  # 50 MP of one colour in a few hundred KB
    assert len(bomb) < 400 * 1024
    await _edit_document(stack, 8101, bomb, "image/png")

    assert stack.emulator.calls_to("sendPhoto") == []
    (told,) = stack.emulator.calls_to("editMessageText")
    assert told.params["text"] == texts.text("failed_input_too_large")
    assert await _provider_calls(stack) == 0


async def test_an_image_within_the_limit_is_edited(stack: Stack) -> None:
    await _edit_document(stack, 8102, _image("PNG", (1200, 900)), "image/png")
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    assert await _provider_calls(stack) == 1


async def test_formats_other_than_jpeg_png_webp_are_not_read(stack: Stack) -> None:
    """A TIFF declared as PNG gets as far as the download and no further."""
    await _edit_document(stack, 8103, _image("TIFF"), "image/png")
    assert stack.emulator.calls_to("sendPhoto") == []
    (told,) = stack.emulator.calls_to("editMessageText")
    assert told.params["text"] == texts.text("failed_input")
    assert await _provider_calls(stack) == 0
