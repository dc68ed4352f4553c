"""The Details button tells the seed, model and size; the seed makes the same image."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageStat

from bot import texts
from tests.conftest import Stack

TIMES = "\N{MULTIPLICATION SIGN}"


def _image(files: dict[str, bytes]) -> Image.Image:
    (data,) = files.values()
    return Image.open(io.BytesIO(data)).convert("RGB")


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean difference per channel, 0-255 (each image carries its own invisible watermark,
    so two copies of one picture differ by a unit here and there)."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


async def test_details_tell_a_seed_that_reproduces_the_image(stack: Stack) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a red fox --ar 16:9"))
    photo = stack.emulator.calls_to("sendPhoto")[-1]
    _, (_, _, details) = photo.params["reply_markup"]["inline_keyboard"]
    press = stack.emulator.button_press(
        chat, ada, photo.result["message_id"], details["callback_data"]
    )
    await stack.send(press)
    (answer,) = stack.emulator.calls_to("answerCallbackQuery")
    job = await stack.runtime.get_job(details["callback_data"].split(":")[1])
    assert job is not None
    assert job.seed is not None
    width, height = _image(photo.files).size
    size = f"{width}{TIMES}{height}"
    assert answer.params["text"] == texts.text(
        "result_details", seed=job.seed, model=job.model, size=size
    )

    again = f"/generate a red fox --ar 16:9 --seed {job.seed}"
    await stack.send(stack.emulator.user_message(chat, ada, text=again))
    other = f"/generate a red fox --ar 16:9 --seed {job.seed + 1}"
    await stack.send(stack.emulator.user_message(chat, ada, text=other))
    first, same, different = (_image(call.files) for call in stack.emulator.calls_to("sendPhoto"))
    assert _difference(first, same) < 1
    assert _difference(first, different) > 5 * _difference(first, same)
