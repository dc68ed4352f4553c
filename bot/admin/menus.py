"""The command menus and descriptions Telegram shows: ``setMyCommands`` per scope and
language, ``setMyDescription`` and ``setMyShortDescription`` per language.

Scopes: private chats (what a user does alone), groups (what the group does together),
and each admin's own private chat (``BotCommandScopeChat``: the private menu and the admin
commands). Only commands the configuration enables are listed; each language with a file
in ``bot/locales`` is one more pass of the same loop (English as the default, set without
a language code). Set at start-up (``TELEGRAM_SET_MENUS``) and by ``fulmine set-webhook``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from telegram import Bot, BotCommand, BotCommandScope
from telegram.error import TelegramError

from bot import texts
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

PRIVATE = ("generate", "edit", "undo", "upscale", "models", "settings", "balance", "buy", "verify")
PRIVATE_END = ("paysupport", "terms", "help")
GROUPS = ("generate", "edit", "undo", "settings", "fund", "pool", "help")
ADMIN = ("stats", "moderation", "ban", "unban")
PAYMENT_COMMANDS = frozenset({"balance", "buy", "fund", "pool"})
STARS_COMMANDS = frozenset({"paysupport", "terms"})

ApiCall = tuple[str, dict[str, Any]]


def enabled(settings: Settings) -> frozenset[str]:
    """The commands this configuration answers (the rest are not registered)."""
    every = set(PRIVATE + PRIVATE_END + GROUPS + ADMIN)
    if settings.payments_backend == "none":
        every -= PAYMENT_COMMANDS
    if settings.payments_backend == "none" or settings.stars_per_credit <= 0:
        every -= STARS_COMMANDS
    return frozenset(every)


def _commands(names: tuple[str, ...], on: frozenset[str], language: str) -> list[dict[str, str]]:
    return [
        {"command": name, "description": texts.text(f"menu_{name}", language)}
        for name in names
        if name in on
    ]


def menu_calls(settings: Settings) -> Iterator[ApiCall]:
    """Every Bot API call that sets the menus and descriptions, as (method, parameters)."""
    on = enabled(settings)
    private = PRIVATE + PRIVATE_END
    languages = texts.available_languages()
    for language in languages:
        # Menus take two letters of ISO 639-1: a regional file (pt-br) speaks for its
        # language unless that language has a file of its own.
        base = language.split("-")[0]
        if base != language and base in languages:
            continue
        code = {} if language == texts.DEFAULT_LANGUAGE else {"language_code": base}
        scopes: list[tuple[dict[str, Any], tuple[str, ...]]] = [
            ({"type": "all_private_chats"}, private),
            ({"type": "all_group_chats"}, GROUPS),
            *(
                ({"type": "chat", "chat_id": admin}, PRIVATE + ADMIN + PRIVATE_END)
                for admin in sorted(settings.admin_user_ids)
            ),
        ]
        for scope, names in scopes:
            commands = _commands(names, on, language)
            yield "setMyCommands", {"commands": commands, "scope": scope, **code}
        description = texts.text("bot_description", language)
        yield "setMyDescription", {"description": description, **code}
        short = texts.text("bot_short_description", language)
        yield "setMyShortDescription", {"short_description": short, **code}


async def set_menus(bot: Bot, settings: Settings) -> bool:
    """Send :func:`menu_calls` through python-telegram-bot; False (logged) when Telegram
    refused one or could not be reached: the bot serves all the same."""
    try:
        for method, params in menu_calls(settings):
            language = params.get("language_code")
            if method == "setMyCommands":
                await bot.set_my_commands(
                    [BotCommand(c["command"], c["description"]) for c in params["commands"]],
                    scope=BotCommandScope.de_json(params["scope"], bot),
                    language_code=language,
                )
            elif method == "setMyDescription":
                await bot.set_my_description(params["description"], language_code=language)
            else:
                await bot.set_my_short_description(
                    params["short_description"], language_code=language
                )
    except TelegramError as exc:
        log.warning("menus_not_set", error=repr(exc))
        return False
    return True
