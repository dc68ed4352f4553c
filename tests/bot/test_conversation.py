"""Talking without commands, through the emulator: plain words, the bot's questions and
their answers, photos with and without a caption."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from tests.conftest import BOT_USERNAME, Stack, png_bytes


def _user(stack: Stack, user_id: int = 1001, name: str = "Ada") -> dict[str, Any]:
    return stack.emulator.user(user_id, name, language_code="en")


def _texts(stack: Stack) -> list[str]:
    return [call.params["text"] for call in stack.emulator.calls_to("sendMessage")]


def _sent_photo(stack: Stack, index: int = -1) -> Image.Image:
    (data,) = stack.emulator.calls_to("sendPhoto")[index].files.values()
    return Image.open(io.BytesIO(data))


async def test_plain_words_after_start_are_a_prompt(stack: Stack) -> None:
    """The loop is gone: /start says to tell it what to draw, and telling it draws."""
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/start"))
    words = stack.emulator.user_message(chat, user, text="a red fox in the snow --ar 16:9")
    await stack.send(words)

    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a red fox in the snow"
    assert photo.params["reply_parameters"]["message_id"] == words["message"]["message_id"]
    assert _sent_photo(stack).size[0] > _sent_photo(stack).size[1]  # the option was read
    assert texts.text("private_hint") not in _texts(stack)


@pytest.mark.parametrize("settings_overrides", [{"plain_text_prompts": False}])
async def test_plain_words_can_be_turned_off(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="a red fox"))
    assert stack.emulator.calls_to("sendPhoto") == []
    assert _texts(stack) == [texts.text("private_hint")]


async def test_plain_words_in_a_group_are_not_a_prompt(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100700, "Painters")
    await stack.send(stack.emulator.user_message(group, user, text="a red fox"))
    assert stack.emulator.calls_to("sendPhoto") == []
    assert stack.emulator.calls_to("sendMessage") == []


async def test_bare_generate_asks_and_the_answer_is_the_prompt(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate"))

    (ask,) = stack.emulator.calls_to("sendMessage")
    assert ask.params["text"] == texts.text("ask_prompt")
    assert ask.params["reply_markup"]["force_reply"] is True
    assert stack.emulator.calls_to("sendPhoto") == []

    answer = stack.emulator.user_message(
        chat, user, text="a lighthouse at dusk", reply_to_message_id=ask.result["message_id"]
    )
    await stack.send(answer)
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a lighthouse at dusk"


async def test_in_a_group_only_the_asked_user_answers(stack: Stack) -> None:
    ada, bob = _user(stack), _user(stack, 1002, "Bob")
    group = stack.emulator.group_chat(-100701, "Painters")
    await stack.send(stack.emulator.user_message(group, ada, text=f"/generate@{BOT_USERNAME}"))
    (ask,) = stack.emulator.calls_to("sendMessage")
    assert ask.params["reply_markup"]["selective"] is True
    question = ask.result["message_id"]

    await stack.send(
        stack.emulator.user_message(group, bob, text="a cat", reply_to_message_id=question)
    )
    assert stack.emulator.calls_to("sendPhoto") == []  # not Bob's question

    await stack.send(
        stack.emulator.user_message(group, ada, text="a dog", reply_to_message_id=question)
    )
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == texts.text("result_caption_group", name="Ada", prompt="a dog")


async def test_a_photo_without_caption_is_asked_about_and_the_answer_edits_it(
    stack: Stack,
) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, photo=png_bytes((320, 200), "blue")))

    (ask,) = stack.emulator.calls_to("sendMessage")
    assert ask.params["text"] == texts.text("ask_edit")
    assert ask.params["reply_markup"]["force_reply"] is True
    assert stack.emulator.calls_to("sendPhoto") == []

    await stack.send(
        stack.emulator.user_message(
            chat, user, text="make it night", reply_to_message_id=ask.result["message_id"]
        )
    )
    assert stack.emulator.calls_to("getFile")
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "make it night"
    edited = _sent_photo(stack)
    assert edited.size == (320, 200)  # the edit of that photo, not a new drawing
    assert edited.convert("RGB").getpixel((300, 190)) != (0, 0, 255)


async def test_an_image_file_without_caption_is_asked_about_too(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    document = (png_bytes((200, 120), "green"), "scan.png", "image/png")
    await stack.send(stack.emulator.user_message(chat, user, document=document))
    (ask,) = stack.emulator.calls_to("sendMessage")
    assert ask.params["text"] == texts.text("ask_edit")


async def test_a_photo_captioned_with_plain_words_is_an_edit(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(
        stack.emulator.user_message(
            chat, user, photo=png_bytes((240, 160), "blue"), caption="make it night"
        )
    )
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "make it night"
    assert _sent_photo(stack).size == (240, 160)
    assert texts.text("ask_edit") not in _texts(stack)


async def test_a_caption_with_an_option_only_edits_refuse_is_said(stack: Stack) -> None:
    """A caption is read like /edit's words: the same options, the same refusals."""
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(
        stack.emulator.user_message(
            chat, user, photo=png_bytes((64, 64), "blue"), caption="night --ar 16:9"
        )
    )
    assert stack.emulator.calls_to("sendPhoto") == []
    assert _texts(stack) == [texts.text("option_generate_only", option="--ar")]


async def test_a_photo_in_a_group_is_not_asked_about(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100702, "Painters")
    await stack.send(stack.emulator.user_message(group, user, photo=png_bytes()))
    assert stack.emulator.calls_to("sendMessage") == []
