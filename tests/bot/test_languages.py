"""The language the bot answers in, through the emulator: the user's ``/settings`` choice,
else their app's ``language_code``, else English; in a group, the asker's; a job's later
messages in the language it was admitted in. Every language with a file is checked."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bot import texts
from bot.account.model_menu import settings_text
from bot.language import native_name
from tests.conftest import BOT_USERNAME, Stack

LANGUAGES = texts.available_languages()
OTHERS = [language for language in LANGUAGES if language != texts.DEFAULT_LANGUAGE]


def _last_text(stack: Stack, chat: dict[str, Any]) -> str:
    sent = [c for c in stack.emulator.calls_to("sendMessage") if c.params["chat_id"] == chat["id"]]
    return str(sent[-1].params["text"])


async def _start(stack: Stack, chat: dict[str, Any], user: dict[str, Any]) -> str:
    await stack.send(stack.emulator.user_message(chat, user, text="/start"))
    return _last_text(stack, chat)


async def _choose(stack: Stack, chat: dict[str, Any], user: dict[str, Any], tag: str) -> str:
    """/settings, then the language button ``tag`` ("" for Automatic): the press's answer.
    A tag no button carries is sent as a forged press (a client may send any data)."""
    await stack.send(stack.emulator.user_message(chat, user, text="/settings"))
    menu = [c for c in stack.emulator.calls_to("sendMessage") if c.params["chat_id"] == chat["id"]]
    update = stack.emulator.button_press(chat, user, menu[-1].result["message_id"], "s:lang:")
    update["callback_query"]["data"] = f"s:lang:{tag}"
    await stack.send(update)
    query_id = update["callback_query"]["id"]
    (answer,) = [
        call
        for call in stack.emulator.calls_to("answerCallbackQuery")
        if call.params["callback_query_id"] == query_id
    ]
    return str(answer.params.get("text", ""))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_start_answers_in_the_apps_language(stack: Stack, language: str) -> None:
    user = stack.emulator.user(3100, "Ada", language_code=language)
    chat = stack.emulator.private_chat(user)
    assert await _start(stack, chat, user) == texts.text("start", language, name="Ada")


async def test_an_app_language_without_a_file_gets_english(stack: Stack) -> None:
    user = stack.emulator.user(3101, "Ada", language_code="xx")
    chat = stack.emulator.private_chat(user)
    assert await _start(stack, chat, user) == texts.text("start", "en", name="Ada")


async def test_settings_offers_every_language_by_its_own_name(stack: Stack) -> None:
    user = stack.emulator.user(3102, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/settings"))
    (menu,) = stack.emulator.calls_to("sendMessage")
    buttons = {
        button["callback_data"]: button["text"]
        for row in menu.params["reply_markup"]["inline_keyboard"]
        for button in row
        if button["callback_data"].startswith("s:lang:")
    }
    expected = {f"s:lang:{tag}": native_name(tag) for tag in LANGUAGES}
    expected["s:lang:"] = "✓ " + texts.text("button_language_auto", "en")
    assert buttons == expected
    assert native_name("en") == "English"


@pytest.mark.parametrize("language", OTHERS)
async def test_a_chosen_language_wins_over_the_apps(stack: Stack, language: str) -> None:
    user = stack.emulator.user(3103, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    assert await _choose(stack, chat, user, language) == texts.text("settings_saved", language)
    # The menu is redrawn in the language just chosen, with it ticked.
    redrawn = stack.emulator.calls_to("editMessageText")[-1].params
    preferences = await stack.runtime.preferences(user["id"])
    assert preferences.language == language
    assert redrawn["text"] == settings_text(stack.runtime.catalog, preferences, language)
    ticked = [b["text"] for row in redrawn["reply_markup"]["inline_keyboard"] for b in row]
    assert "✓ " + native_name(language) in ticked
    assert await _start(stack, chat, user) == texts.text("start", language, name="Ada")

    # Automatic: the app's language again.
    assert await _choose(stack, chat, user, "") == texts.text("settings_saved", "en")
    assert await _start(stack, chat, user) == texts.text("start", "en", name="Ada")


@pytest.mark.parametrize("language", OTHERS)
async def test_english_can_be_chosen_over_the_apps_language(stack: Stack, language: str) -> None:
    user = stack.emulator.user(3104, "Ada", language_code=language)
    chat = stack.emulator.private_chat(user)
    assert await _choose(stack, chat, user, "en") == texts.text("settings_saved", "en")
    assert await _start(stack, chat, user) == texts.text("start", "en", name="Ada")


@pytest.mark.parametrize("tag", ["xx", "EN", "../en", "en-" + "x" * 20])
async def test_a_language_that_is_not_offered_changes_nothing(stack: Stack, tag: str) -> None:
    language = OTHERS[0] if OTHERS else "en"
    user = stack.emulator.user(3105, "Ada", language_code=language)
    chat = stack.emulator.private_chat(user)
    assert await _choose(stack, chat, user, tag) == texts.text("button_expired", language)
    assert (await stack.runtime.preferences(user["id"])).language is None
    assert await _start(stack, chat, user) == texts.text("start", language, name="Ada")


@pytest.mark.parametrize("language", OTHERS)
async def test_a_group_is_answered_in_each_askers_language(stack: Stack, language: str) -> None:
    """Ann chose the language in private, Bob's app speaks it, Cid's speaks English: each
    request's status message, and the worker's message under its album, speak the asker's."""
    ann = stack.emulator.user(3106, "Ann", language_code="en")
    bob = stack.emulator.user(3107, "Bob", language_code=language)
    cid = stack.emulator.user(3108, "Cid", language_code="en")
    await _choose(stack, stack.emulator.private_chat(ann), ann, language)
    group = stack.emulator.group_chat(title="Painters")
    for asker in (ann, bob, cid):
        text = f"/generate@{BOT_USERNAME} a fox --n 2"
        await stack.send(stack.emulator.user_message(group, asker, text=text))

    said = Counter(
        str(call.params["text"])
        for call in stack.emulator.calls_to("sendMessage")
        if call.params["chat_id"] == group["id"]
    )
    assert said == {
        texts.text("status_accepted", language): 2,
        texts.text("result_buttons", language): 2,
        texts.text("status_accepted", "en"): 1,
        texts.text("result_buttons", "en"): 1,
    }


@pytest.mark.parametrize("language", OTHERS)
async def test_deleting_my_data_forgets_the_choice(stack: Stack, language: str) -> None:
    user = stack.emulator.user(3109, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    await _choose(stack, chat, user, language)
    await stack.send(stack.emulator.user_message(chat, user, text="/deletemydata"))
    confirm = stack.emulator.calls_to("sendMessage")[-1]
    assert confirm.params["text"] == texts.text("delete_data_confirm", language)
    press = stack.emulator.button_press(chat, user, confirm.result["message_id"], "x:3109")
    await stack.send(press)
    assert await _start(stack, chat, user) == texts.text("start", "en", name="Ada")
