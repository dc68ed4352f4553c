"""The emulator's inline buttons: callback_query updates, answerCallbackQuery, albums."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from devtools.emulator import BotApiEmulator
from tests.conftest import png_bytes


@pytest.fixture
async def served() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator()
    async with emulator.serve():
        yield emulator


@pytest.fixture
async def bot(served: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        served.token, base_url=served.api_url, base_file_url=served.file_url
    ) as client:
        yield client


async def test_a_press_on_a_real_button_is_answered_once(
    served: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = served.user(1001, "Ada")
    chat = served.private_chat(ada)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="r:abc")]])
    sent = await bot.send_photo(chat["id"], png_bytes(), reply_markup=keyboard)

    update = served.button_press(chat, ada, sent.message_id, "r:abc")
    query = update["callback_query"]
    assert (query["data"], query["from"], query["message"]["message_id"]) == (
        "r:abc",
        ada,
        sent.message_id,
    )
    parsed = telegram.Update.de_json(update, bot)
    assert parsed.callback_query is not None
    assert parsed.callback_query.data == "r:abc"

    assert not served.callback_answered(query["id"])
    assert await bot.answer_callback_query(query["id"], text="On it")
    assert served.callback_answered(query["id"])
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query("12345")
    second = served.button_press(chat, ada, sent.message_id, "r:abc")["callback_query"]
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(second["id"], text="x" * 201)


async def test_only_buttons_the_bot_sent_can_be_pressed(
    served: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = served.user(1001, "Ada")
    chat = served.private_chat(ada)
    plain = await bot.send_message(chat["id"], "no buttons")
    with pytest.raises(ValueError, match="no inline button"):
        served.button_press(chat, ada, plain.message_id, "r:abc")
    with pytest.raises(ValueError, match="no message"):
        served.button_press(chat, ada, 999, "r:abc")


def test_photos_sent_together_form_an_album(served: BotApiEmulator) -> None:
    bob = served.user(1002, "Bob")
    group = served.group_chat(-100123, "Album")
    first = served.user_message(group, bob, photo=png_bytes(), media_group_id="55")
    second = served.user_message(group, bob, photo=png_bytes(), media_group_id="55")
    assert first["message"]["media_group_id"] == second["message"]["media_group_id"] == "55"
    with pytest.raises(ValueError, match="album"):
        served.user_message(group, bob, text="hi", media_group_id="55")
