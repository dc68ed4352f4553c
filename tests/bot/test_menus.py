"""Command menus and descriptions through the emulator: per scope (private chats, groups,
each admin's chat) and per language, only the commands the configuration enables, set at
start-up and by ``fulmine set-webhook`` alike."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.ext import CommandHandler

from bot import texts, webhook_admin
from bot.admin import menus
from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from tests.conftest import Stack, make_settings

PRIVATE = {"type": "all_private_chats"}
GROUPS = {"type": "all_group_chats"}
ADMIN = {"type": "chat", "chat_id": 42}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"telegram_set_menus": True, "payments_backend": "fake", "stars_per_credit": 0.1}


def _code(language: str) -> str:
    """The two letters Telegram keeps menus under (pt-br's are Portuguese's)."""
    return "" if language == texts.DEFAULT_LANGUAGE else language.split("-")[0]


def _per_language(key: str) -> dict[str, str]:
    """What each language's catalog says for ``key``, by the code Telegram stores it under."""
    return {_code(language): texts.text(key, language) for language in texts.available_languages()}


def _names(emulator: BotApiEmulator, scope: dict[str, Any], language: str = "") -> list[str]:
    commands = emulator.commands(scope, language)
    assert commands is not None, f"no commands for {scope} {language!r}"
    return [command["command"] for command in commands]


async def test_start_up_sets_menus_per_scope(stack: Stack) -> None:
    emulator = stack.emulator
    private = [
        "generate",
        "edit",
        "undo",
        "upscale",
        "models",
        "settings",
        "balance",
        "buy",
        "verify",
    ]
    assert _names(emulator, PRIVATE) == [*private, "paysupport", "terms", "help"]
    assert _names(emulator, GROUPS) == [
        "generate",
        "edit",
        "undo",
        "settings",
        "fund",
        "pool",
        "help",
    ]
    admin = [*private, "stats", "moderation", "ban", "unban", "paysupport", "terms", "help"]
    assert _names(emulator, ADMIN) == admin
    # Every language with a file has its own lists and descriptions, in its own words.
    codes = {language: _code(language) for language in texts.available_languages()}
    for language, code in codes.items():
        assert _names(emulator, ADMIN, code) == admin, language
        for scope in (PRIVATE, GROUPS, ADMIN):
            for command in emulator.commands(scope, code) or []:
                name = command["command"]
                assert command["description"] == texts.text(f"menu_{name}", language), name
    assert emulator.store.descriptions == {
        code: texts.text("bot_description", language) for language, code in codes.items()
    }
    assert emulator.store.short_descriptions == {
        code: texts.text("bot_short_description", language) for language, code in codes.items()
    }

    # Every command listed is one the bot answers.
    telegram = stack.runtime.frontends.of("telegram")
    assert isinstance(telegram, TelegramFrontend)
    answered = {
        name
        for handler in telegram.application.handlers[0]
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    assert set(_names(emulator, ADMIN)) <= answered


def test_only_enabled_commands_are_listed() -> None:
    free = make_settings("http://127.0.0.1:1", admin_user_ids="")
    calls = list(menus.menu_calls(free))
    scopes = [params["scope"] for method, params in calls if method == "setMyCommands"]
    assert scopes == [PRIVATE, GROUPS] * len(texts.available_languages())
    listed = {c["command"] for _, params in calls for c in params.get("commands", [])}
    assert not listed & {"balance", "buy", "fund", "pool", "paysupport", "terms", "stats"}


def test_each_language_is_one_more_pass() -> None:
    settings = make_settings("http://127.0.0.1:1")
    calls = list(menus.menu_calls(settings))
    per_language = 2 + len(settings.admin_user_ids) + 2  # scopes, then both descriptions
    assert len(calls) == per_language * len(texts.available_languages())
    codes = {params.get("language_code") for _, params in calls}
    expected = {_code(lang) or None for lang in texts.available_languages()}
    assert codes == expected


async def test_set_webhook_command_sets_the_same_menus(
    emulator: tuple[BotApiEmulator, str],
) -> None:
    bot_api, url = emulator
    settings = make_settings(url, payments_backend="fake")
    assert await webhook_admin.set_menus(settings) == {"ok": True, "result": True}
    assert "buy" in _names(bot_api, PRIVATE)
    assert "paysupport" not in _names(bot_api, PRIVATE)  # Stars are off
    assert "stats" in _names(bot_api, ADMIN)
    assert bot_api.store.short_descriptions == _per_language("bot_short_description")
