"""Upscale x2: the button under a result and ``/upscale`` as a reply to an image, through
the catalog's upscale model (Replicate's real-esrgan, on the fake), sent back as a
document at full resolution and charged the model's price."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from state.models import Balance
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack, png_bytes
from tests.fakes.images import png
from tests.fakes.replicate import REAL_ESRGAN_VERSION, FakeReplicate


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.mark.parametrize("extra_settings", [{"payments_backend": "fake"}])
async def test_the_upscale_button_sends_the_upscalers_image_as_a_document(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    catalog = stack.runtime.catalog
    dev, esrgan = catalog.get("flux-dev"), catalog.get("esrgan")
    assert dev is not None
    assert esrgan is not None
    user, chat = _ada(stack)
    await payments.ledger.credit(user["id"], "gift", 1000)
    fake_replicate.outputs = lambda prediction, index: (
        png((160, 120), "teal") if "image" in prediction.input else png((80, 60), "teal")
    )
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    buttons = [b for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    upscale = next(b for b in buttons if b["text"] == texts.text("button_upscale"))

    press = stack.emulator.button_press(
        chat, user, photo.result["message_id"], upscale["callback_data"]
    )
    await stack.send(press)

    first, second = fake_replicate.creates()
    assert "version" not in first
    assert second["version"] == REAL_ESRGAN_VERSION
    assert second["input"]["scale"] == 2
    assert second["input"]["image"].startswith("data:image/")
    assert "prompt" not in second["input"]
    (document,) = stack.emulator.calls_to("sendDocument")
    (data,) = document.files.values()
    assert _size(data) == (160, 120)  # as the upscaler made it, not recompressed
    assert "reply_markup" not in document.params  # an upscaled image has no buttons
    spent = dev.price_sats + esrgan.price_sats
    assert await payments.balance(user["id"]) == Balance(1000 - spent, 0)


async def test_upscale_replying_to_a_photo(stack: Stack, fake_replicate: FakeReplicate) -> None:
    user, chat = _ada(stack)
    photo = stack.emulator.user_message(chat, user, photo=png_bytes((64, 48), "blue"))
    await stack.send(photo)
    reply = stack.emulator.user_message(
        chat, user, text="/upscale", reply_to_message_id=photo["message"]["message_id"]
    )
    await stack.send(reply)
    (create,) = fake_replicate.creates()
    assert create["version"] == REAL_ESRGAN_VERSION
    assert len(stack.emulator.calls_to("sendDocument")) == 1
    assert stack.emulator.calls_to("sendPhoto") == []


async def test_upscale_without_an_image_says_how(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/upscale"))
    (answer,) = stack.emulator.calls_to("sendMessage")
    assert answer.params["text"] == texts.text("upscale_needs_image")


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_offline_the_placeholder_upscales(stack: Stack) -> None:
    user, chat = _ada(stack)
    photo = stack.emulator.user_message(chat, user, photo=png_bytes((64, 48), "blue"))
    await stack.send(photo)
    reply = stack.emulator.user_message(
        chat, user, text="/upscale", reply_to_message_id=photo["message"]["message_id"]
    )
    await stack.send(reply)
    (document,) = stack.emulator.calls_to("sendDocument")
    (data,) = document.files.values()
    assert _size(data) == (128, 96)  # twice the photo's size, labelled as a stand-in
