"""Telegram → orchestrator → ``gpu`` provider → real ``fulmine gpu-server`` → sendPhoto."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Stack, png_bytes
from tests.gpu_server.support import TOKEN


@pytest.fixture
def settings_overrides(gpu_server: str) -> dict[str, Any]:
    return {
        "generate_provider": "gpu",
        "edit_provider": "gpu",
        "gpu_backend_urls": gpu_server,
        "gpu_server_token": TOKEN,
    }


def _sent_photo(stack: Stack) -> Image.Image:
    (call,) = stack.emulator.calls_to("sendPhoto")
    (data,) = call.files.values()
    return Image.open(io.BytesIO(data))


async def test_generate_is_made_by_the_gpu_server(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a red fox")
    await stack.send(update)

    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a red fox"
    assert photo.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    image = _sent_photo(stack)
    assert (image.format, image.size) == ("PNG", (32, 32))  # GPU_IMAGE_AREA of the test server


async def test_edit_is_made_by_the_gpu_server(stack: Stack) -> None:
    user = stack.emulator.user(1002, "Bo", language_code="en")
    chat = stack.emulator.private_chat(user)
    photo_update = stack.emulator.user_message(chat, user, photo=png_bytes((64, 32), "blue"))
    await stack.send(photo_update)
    edit = stack.emulator.user_message(
        chat,
        user,
        text="/edit make it night",
        reply_to_message_id=photo_update["message"]["message_id"],
    )
    await stack.send(edit)

    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "make it night"
    image = _sent_photo(stack)
    assert image.format == "PNG"
    assert image.width > image.height  # the 2:1 input's aspect, at the server's area
