"""The Mini App in the chat: the bot's menu button opens it, and ``/gallery`` sends a button
that does. Telegram opens Mini Apps over HTTPS only, so both need an https ``PUBLIC_URL``
(the app is served at ``PUBLIC_URL/app``)."""

from __future__ import annotations

import structlog
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import texts
from bot.language import language_of
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

APP_PATH = "/app"


def app_url(settings: Settings) -> str | None:
    """Where the Mini App is served, when Telegram can open it (https); else None."""
    if settings.public_url is None or settings.public_url.scheme != "https":
        return None
    return str(settings.public_url).rstrip("/") + APP_PATH


async def set_menu_button(bot: Bot, settings: Settings) -> None:
    """Make the menu button of every private chat open the Mini App. Failures are logged:
    the bot works without it."""
    url = app_url(settings)
    if url is None:
        if settings.public_url is not None:
            log.warning("mini_app_menu_skipped", reason="PUBLIC_URL is not https")
        return
    button = MenuButtonWebApp(texts.text("mini_app_menu"), WebAppInfo(url))
    try:
        await bot.set_chat_menu_button(menu_button=button)
    except TelegramError as exc:
        log.warning("mini_app_menu_failed", error=repr(exc))


class MiniAppCommands:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [CommandHandler("gallery", self.gallery, filters=filters.UpdateType.MESSAGE)]

    async def gallery(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        language = language_of(update)
        url = app_url(self._settings)
        if url is None:
            await message.reply_text(texts.text("gallery_not_configured", language))
        elif message.chat.type != "private":  # Telegram allows web_app buttons there only
            await message.reply_text(texts.text("gallery_private_only", language))
        else:
            button = InlineKeyboardButton(
                texts.text("mini_app_menu", language), web_app=WebAppInfo(url)
            )
            await message.reply_text(
                texts.text("gallery_open", language),
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
