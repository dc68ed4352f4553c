"""Settings of the Bot API client (``bot/``): pacing, retries, menus, inline mode, chat
actions; mixed into :class:`orchestrator.settings.Settings` (the bot's identity, token and
secret, stay there beside their checks)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class TelegramSettings(BaseSettings):
    # Telegram's flood control: a 429 is always waited out and the call retried (up to
    # this many times: a refused call was not carried out, so retrying cannot double it).
    # Sends are paced before Telegram refuses, in one budget shared by every process on
    # Redis (bot/sending/flood.py), at Telegram's published limits: messages a second overall, a
    # second per chat, a minute per group (0: that scope unpaced).
    telegram_flood_retries: int = Field(default=3, ge=0, le=10)
    telegram_messages_per_s: float = Field(default=30, ge=0)
    telegram_chat_messages_per_s: float = Field(default=1, ge=0)
    telegram_group_messages_per_min: float = Field(default=20, ge=0)
    # Telegram not answering (bot/sending/bot_api_request.py): how long to wait
    # for a Bot API answer; then a call safe to repeat (chat action, edit, delete, reads)
    # is retried this many times, backing off from this long (doubling). A send is
    # repeated only if it never left (no connection): it may have arrived otherwise.
    telegram_read_timeout_s: float = Field(default=5.0, gt=0)  # python-telegram-bot's default
    telegram_safe_retries: int = Field(default=2, ge=0, le=10)
    telegram_retry_backoff_s: float = Field(default=1.0, gt=0)
    # At start-up, set the command menus and descriptions (bot/admin/menus.py); `fulmine
    # set-webhook` always does.
    telegram_set_menus: bool = True
    # Inline mode (bot/results/inline.py): `@bot a red fox` in any chat. Off by default; switch it
    # on in BotFather too (/setinline, and /setinlinefeedback for the chosen results). An
    # inline message can only show a file already on Telegram, so each image is first sent
    # to this chat (e.g. a private channel the bot posts in), or, unset, to the user's own
    # chat with the bot.
    telegram_inline: bool = False
    telegram_inline_storage_chat: int | None = None
    # Chat actions are cosmetic: the first after this long, at most this many a second
    # per process (0: no budget). See bot/sending/chat_actions.py.
    chat_action_after_s: float = Field(default=1.0, ge=0)
    chat_actions_per_s: float = Field(default=10.0, ge=0)
