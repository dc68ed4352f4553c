"""The emulator's inline buttons: callback_query updates, answerCallbackQuery, albums."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from devtools.emulator import BotApiEmulator
from tests.conftest import png_bytes


async def test_a_press_on_a_real_button_is_answered_once(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = emulator.user(1001, "Ada")
    chat = emulator.private_chat(ada)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="r:abc")]])
    sent = await bot.send_photo(chat["id"], png_bytes(), reply_markup=keyboard)

    update = emulator.button_press(chat, ada, sent.message_id, "r:abc")
    query = update["callback_query"]
    assert (query["data"], query["from"], query["message"]["message_id"]) == (
        "r:abc",
        ada,
        sent.message_id,
    )
    parsed = telegram.Update.de_json(update, bot)
    assert parsed.callback_query is not None
    assert parsed.callback_query.data == "r:abc"

    assert not emulator.callback_answered(query["id"])
    assert await bot.answer_callback_query(query["id"], text="On it")
    assert emulator.callback_answered(query["id"])
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_callback_query("12345")
    second = emulator.button_press(chat, ada, sent.message_id, "r:abc")["callback_query"]
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(second["id"], text="x" * 201)


async def test_only_buttons_the_bot_sent_can_be_pressed(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = emulator.user(1001, "Ada")
    chat = emulator.private_chat(ada)
    plain = await bot.send_message(chat["id"], "no buttons")
    with pytest.raises(ValueError, match="no inline button"):
        emulator.button_press(chat, ada, plain.message_id, "r:abc")
    with pytest.raises(ValueError, match="no message"):
        emulator.button_press(chat, ada, 999, "r:abc")


def test_photos_sent_together_form_an_album(emulator: BotApiEmulator) -> None:
    bob = emulator.user(1002, "Bob")
    group = emulator.group_chat(-100123, "Album")
    first = emulator.user_message(group, bob, photo=png_bytes(), media_group_id="55")
    second = emulator.user_message(group, bob, photo=png_bytes(), media_group_id="55")
    assert first["message"]["media_group_id"] == second["message"]["media_group_id"] == "55"
    with pytest.raises(ValueError, match="album"):
        emulator.user_message(group, bob, text="hi", media_group_id="55")
