"""The emulator's inline mode, driven through python-telegram-bot: a query answered once
with valid results, a chosen result that has an inline_message_id only with a keyboard,
media in an inline message edited only to a file already on the servers."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputFile,
    InputMediaPhoto,
    InputTextMessageContent,
)
from telegram.error import BadRequest

from devtools.emulator import BotApiEmulator
from tests.conftest import png_bytes

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("More", switch_inline_query="")]])


def _article(result_id: str, markup: InlineKeyboardMarkup | None = KEYBOARD) -> object:
    return InlineQueryResultArticle(
        result_id, "Title", InputTextMessageContent("Working…"), reply_markup=markup
    )


async def test_a_query_is_answered_once_with_valid_results(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = emulator.user(7, "Ada")
    query = emulator.inline_query(ada, "a fox")["inline_query"]
    assert query["query"] == "a fox"
    with pytest.raises(BadRequest, match=r"(?i)RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query["id"], [_article("a"), _article("a")])
    with pytest.raises(BadRequest, match=r"(?i)RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query["id"], [_article(str(i)) for i in range(51)])
    with pytest.raises(BadRequest, match=r"(?i)file identifier"):
        await bot.answer_inline_query(query["id"], [InlineQueryResultCachedPhoto("p", "nope")])
    assert emulator.inline_answer(query["id"]) is None
    assert await bot.answer_inline_query(query["id"], [_article("a")], is_personal=True)
    assert [r["id"] for r in emulator.inline_answer(query["id"]) or []] == ["a"]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query["id"], [_article("b")])
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query("123", [])


async def test_only_a_result_with_a_keyboard_gets_an_inline_message_id(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    query_id = emulator.inline_query(emulator.user(7, "Ada"), "x")["inline_query"]["id"]
    await bot.answer_inline_query(query_id, [_article("kb"), _article("plain", None)])
    plain = emulator.choose_inline_result(query_id, "plain")["chosen_inline_result"]
    assert "inline_message_id" not in plain
    chosen = emulator.choose_inline_result(query_id, "kb")["chosen_inline_result"]
    assert chosen["query"] == "x"
    assert chosen["result_id"] == "kb"
    shown = emulator.inline_message(chosen["inline_message_id"])
    assert shown is not None
    assert shown["text"] == "Working…"
    with pytest.raises(ValueError, match="no result"):
        emulator.choose_inline_result(query_id, "other")


async def test_inline_media_is_edited_by_file_id_never_by_upload(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = emulator.user(7, "Ada")
    chat = emulator.private_chat(ada)
    query_id = emulator.inline_query(ada, "x")["inline_query"]["id"]
    await bot.answer_inline_query(query_id, [_article("kb")])
    inline_id = emulator.choose_inline_result(query_id, "kb")["chosen_inline_result"][
        "inline_message_id"
    ]
    upload = InputFile(png_bytes((32, 32)), filename="a.png", attach=True)
    with pytest.raises(BadRequest, match=r"(?i)file_id or a URL"):
        await bot.edit_message_media(InputMediaPhoto(upload), inline_message_id=inline_id)
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_ID_INVALID"):
        await bot.edit_message_text("t", inline_message_id="nope")

    assert await bot.edit_message_text("Still working", inline_message_id=inline_id) is True
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Still working", inline_message_id=inline_id)
    sent = await bot.send_photo(chat["id"], png_bytes((32, 32)))
    file_id = sent.photo[-1].file_id
    edited = await bot.edit_message_media(
        InputMediaPhoto(file_id, caption="a fox"), inline_message_id=inline_id
    )
    assert edited is True
    shown = emulator.inline_message(inline_id)
    assert shown is not None
    assert "text" not in shown
    assert shown["photo"][-1]["file_id"] == file_id
    assert shown["caption"] == "a fox"
    assert "reply_markup" not in shown  # an edit without a keyboard removes it
