"""End to end with the hosted providers: webhook → orchestrator → real ``replicate`` and
``fal-client`` against the fake services → Bot API emulator. Every fault ends with the
right message and the right number of provider calls."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import BOT_TOKEN, BOT_USERNAME, Stack, png_bytes
from tests.fakes.fal import FakeFal
from tests.fakes.images import png
from tests.fakes.replicate import FakeReplicate, Fault


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}  # providers do not care where state lives; test_buttons covers both


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _photo_bytes(stack: Stack, index: int = -1) -> bytes:
    (data,) = stack.emulator.calls_to("sendPhoto")[index].files.values()
    return data


def _pixels(data: bytes) -> bytes:
    """The picture, whatever the file carries beside it (a C2PA manifest)."""
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def _failure_text(stack: Stack) -> str:
    (edit,) = stack.emulator.calls_to("editMessageText")
    return str(edit.params["text"])


def _downloads(fake: FakeReplicate | FakeFal) -> int:
    return len([r for r in fake.log.requests if r.path.startswith("/files/")])


async def test_generate_returns_replicates_image(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.outputs = lambda prediction, index: png((80, 60), "crimson")
    user, chat = _ada(stack)
    update = stack.emulator.user_message(chat, user, text="/generate a red fox")
    await stack.send(update)

    (create,) = fake_replicate.creates()
    seed = create["input"].pop("seed")
    assert isinstance(seed, int)
    assert create == {
        "input": {
            "prompt": "a red fox",
            "aspect_ratio": "1:1",
            "num_outputs": 1,
            "output_format": "png",
        }
    }
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert _pixels(_photo_bytes(stack)) == _pixels(png((80, 60), "crimson"))
    assert photo.params["caption"] == "a red fox"
    assert photo.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    row, upscale_row = photo.params["reply_markup"]["inline_keyboard"]
    assert [button["text"] for button in row] == [
        texts.text("button_regenerate"),
        texts.text("button_variations"),
    ]
    assert [button["text"] for button in upscale_row] == [
        texts.text("button_upscale"),
        texts.text("button_original"),
        texts.text("button_details"),
    ]
    assert all(len(button["callback_data"].encode()) <= 64 for button in row)
    assert len(stack.emulator.calls_to("deleteMessage")) == 1  # the status message
    assert fake_fal.log.requests == []


async def test_options_reach_replicate_and_come_back_as_an_album(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    user, chat = _ada(stack)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/generate a lighthouse --ar 16:9 --seed 42 --n 2"
        )
    )
    (create,) = fake_replicate.creates()
    assert create["input"] | {"prompt": "a lighthouse"} == create["input"]
    assert (create["input"]["aspect_ratio"], create["input"]["seed"]) == ("16:9", 42)
    assert create["input"]["num_outputs"] == 2
    (album,) = stack.emulator.calls_to("sendMediaGroup")
    media = album.params["media"]
    assert [item["type"] for item in media] == ["photo", "photo"]
    assert media[0]["caption"] == "a lighthouse"
    assert "caption" not in media[1]
    _status, buttons = stack.emulator.calls_to("sendMessage")
    assert buttons.params["text"] == texts.text("result_buttons")
    whole, first, second = buttons.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in whole] == [
        texts.text("button_regenerate"),
        texts.text("button_details"),
    ]
    assert len(first) == len(second) == 3  # per image: upscale, variations, edit


async def test_a_bad_option_gets_a_helpful_answer_and_calls_no_provider(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --n 9"))
    (answer,) = stack.emulator.calls_to("sendMessage")
    assert answer.params["text"] == texts.text("option_bad_n", value="9", max=4)
    assert fake_replicate.log.requests == []


async def test_edit_sends_the_photo_itself_to_fal_never_a_telegram_url(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_fal.outputs = lambda request, index: png((50, 40), "gold")
    user, chat = _ada(stack)
    original = png_bytes((320, 200), "blue")
    photo_update = stack.emulator.user_message(chat, user, photo=original)
    await stack.send(photo_update)
    await stack.send(
        stack.emulator.user_message(
            chat,
            user,
            text="/edit make it night --n 1",
            reply_to_message_id=photo_update["message"]["message_id"],
        )
    )

    (submit,) = fake_fal.submits()
    assert fake_fal.log.to("POST")[0].path == "/fal-ai/nano-banana/edit"
    (image_url,) = submit.pop("image_urls")
    assert submit == {"prompt": "make it night", "num_images": 1, "output_format": "png"}
    assert base64.b64decode(image_url.partition(",")[2]) == original
    assert _pixels(_photo_bytes(stack)) == _pixels(png((50, 40), "gold"))
    assert stack.emulator.calls_to("getFile")
    # The download URL the bot used carries its token; nothing sent to a provider does.
    for fake in (fake_fal, fake_replicate):
        assert fake.log.containing(BOT_TOKEN) == []
        assert fake.log.containing(BOT_TOKEN.split(":")[1]) == []
        assert fake.log.containing("/file/bot") == []
    assert fake_replicate.log.requests == []


@pytest.mark.parametrize("extra_settings", [{"generate_provider": "replicate"}])
async def test_500_twice_then_success_sends_one_photo_after_three_creates(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_faults = [Fault(500), Fault(500)]
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    assert len(fake_replicate.creates()) == 3
    assert len(fake_replicate.predictions) == 1
    assert stack.emulator.calls_to("editMessageText") == []


@pytest.mark.parametrize("extra_settings", [{"generate_timeout_s": 0.5}])
async def test_a_hang_past_the_timeout_is_cancelled_and_told_once(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.hang = True
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a slow fox"))
    (prediction,) = fake_replicate.predictions.values()
    assert fake_replicate.cancels() == [prediction.id]
    assert prediction.status == "canceled"
    assert len(fake_replicate.creates()) == 1
    assert fake_fal.submits() == []  # a timeout is not "down": no second provider
    assert _failure_text(stack) == texts.text("failed_timeout")
    assert stack.emulator.calls_to("sendPhoto") == []
    assert len(stack.emulator.calls_to("sendMessage")) == 1  # the status message only


@pytest.mark.parametrize(
    ("script", "expected_key", "creates", "downloads"),
    [
        ({"final_error": "NSFW content detected"}, "failed_refused", 1, 0),
        (
            {"create_faults": [Fault(422, {"detail": "bad input", "status": 422})]},
            "failed_provider_rejected",
            1,
            0,
        ),
        ({"outputs": lambda p, i: png() + bytes(30 * 2**20)}, "failed_output", 1, 1),
        ({"outputs": lambda p, i: b"<html>nope</html>"}, "failed_output", 1, 1),
        ({"create_faults": [Fault(503)] * 3}, "failed_unavailable", 3, 0),
    ],
    ids=["nsfw", "invalid-input", "30mb-output", "not-an-image", "down"],
)
@pytest.mark.parametrize("extra_settings", [{"generate_provider": "replicate"}])
async def test_each_fault_has_its_own_message(
    stack: Stack,
    fake_replicate: FakeReplicate,
    script: dict[str, Any],
    expected_key: str,
    creates: int,
    downloads: int,
) -> None:
    for name, value in script.items():
        setattr(fake_replicate, name, value)
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    assert _failure_text(stack) == texts.text(expected_key)
    (edit,) = stack.emulator.calls_to("editMessageText")
    ((retry,),) = edit.params["reply_markup"]["inline_keyboard"]
    assert retry["text"] == texts.text("button_try_again")
    assert len(fake_replicate.creates()) == creates
    assert _downloads(fake_replicate) == downloads
    assert stack.emulator.calls_to("sendPhoto") == []
    assert fake_replicate.cancels() == []


@pytest.mark.parametrize("extra_settings", [{"generate_provider": "replicate,fal"}])
async def test_a_failing_first_provider_falls_back_to_fal(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.create_faults = [Fault(500)] * 3
    fake_fal.outputs = lambda request, index: png((30, 30), "violet")
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --ar 4:3"))
    assert len(fake_replicate.creates()) == 3
    (submit,) = fake_fal.submits()
    assert fake_fal.log.to("POST")[0].path == "/fal-ai/flux-lora"
    assert submit["prompt"] == "a fox"
    assert submit["image_size"] == {"width": 1184, "height": 880}
    assert _pixels(_photo_bytes(stack)) == _pixels(png((30, 30), "violet"))


async def test_an_image_too_long_for_a_photo_is_sent_as_a_document(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.outputs = lambda prediction, index: png((1050, 50), "black")
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a long banner"))
    assert stack.emulator.calls_to("sendPhoto") == []
    (document,) = stack.emulator.calls_to("sendDocument")
    assert document.ok
    assert document.params["caption"] == "a long banner"
    assert "inline_keyboard" in document.params["reply_markup"]


async def test_a_photo_over_telegrams_sides_limit_is_scaled_to_fit(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.outputs = lambda prediction, index: png((9600, 500), "white")
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a panorama"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.ok
    sizes = photo.result["photo"]
    assert sizes[-1]["width"] + sizes[-1]["height"] <= 10_000


async def test_group_edit_of_someone_elses_photo_names_who_asked(
    stack: Stack, fake_fal: FakeFal
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-100777, "Painters")
    bobs_photo = png_bytes((120, 90), "green")
    posted = stack.emulator.user_message(group, bob, photo=bobs_photo)
    await stack.send(posted)
    await stack.send(
        stack.emulator.user_message(
            group,
            ada,
            text=f"/edit@{BOT_USERNAME} add a hat",
            reply_to_message_id=posted["message"]["message_id"],
        )
    )
    (submit,) = fake_fal.submits()
    assert base64.b64decode(submit["image_urls"][0].partition(",")[2]) == bobs_photo
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == texts.text(
        "result_caption_group", name="Ada", prompt="add a hat"
    )
    (mention,) = photo.params["caption_entities"]
    assert mention["type"] == "text_mention"
    assert (mention["offset"], mention["length"], mention["user"]["id"]) == (0, 3, 1001)


async def test_group_edit_replying_to_one_photo_of_an_album_uses_that_photo(
    stack: Stack, fake_fal: FakeFal
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-100778, "Painters")
    first, second = png_bytes((60, 60), "red"), png_bytes((70, 50), "blue")
    album = [
        stack.emulator.user_message(group, bob, photo=data, media_group_id="77001")
        for data in (first, second)
    ]
    for message in album:
        await stack.send(message)
    await stack.send(
        stack.emulator.user_message(
            group,
            ada,
            text="/edit make it pop",
            reply_to_message_id=album[1]["message"]["message_id"],
        )
    )
    (submit,) = fake_fal.submits()
    assert base64.b64decode(submit["image_urls"][0].partition(",")[2]) == second
