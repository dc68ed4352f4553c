"""Moderation in the chat: the words for a moderation refusal, and the admin
commands ``/moderation`` (recent blocks and banned users), ``/ban <user_id>`` and
``/unban <user_id>``, for ADMIN_USER_IDS only (anyone else gets a polite no) and only
in a private chat (in a group an admin is asked to send the command privately)."""

from __future__ import annotations

import datetime as dt

import structlog
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.user_input import parse_number
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.errors import (
    ContentBlocked,
    ModerationRefusal,
    UserBanned,
    UserThrottled,
)
from orchestrator.moderation.models import Category
from orchestrator.settings import Settings
from state.errors import StateError

log = structlog.get_logger(__name__)

RECENT_SHOWN = 10
RECENT_MAX = 30
PROMPT_SHOWN_CHARS = 80
BLOCKED_TEXTS = {category.value: f"moderation_blocked_{category.value}" for category in Category}


def refusal_text(refusal: ModerationRefusal, language: str | None) -> str:
    if isinstance(refusal, UserBanned):
        return texts.text("moderation_banned", language)
    if isinstance(refusal, UserThrottled):
        wait = texts.duration(refusal.retry_after_s, language)
        return texts.text("moderation_throttled", language, wait=wait)
    category = refusal.category if isinstance(refusal, ContentBlocked) else ""
    return texts.text(BLOCKED_TEXTS.get(category, "moderation_blocked"), language)


def pause_note(refusal: BaseException, language: str | None) -> str | None:
    """What a block says of repeat blocks: the warning before a pause, or the pause it
    started (``orchestrator.moderation.repeats``); None when neither."""
    if not isinstance(refusal, ContentBlocked):
        return None
    if refusal.paused_for_s is not None:
        wait = texts.duration(refusal.paused_for_s, language)
        return texts.text("moderation_paused_now", language, wait=wait)
    if refusal.pause_warning_s is not None:
        wait = texts.duration(refusal.pause_warning_s, language)
        return texts.text("moderation_pause_warning", language, wait=wait)
    return None


def _user_id_argument(context: ContextTypes.DEFAULT_TYPE) -> int | None:
    args = context.args or []
    return parse_number(args[0], allow_negative=True) if len(args) == 1 else None


class ModerationAdmin:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        new = filters.UpdateType.MESSAGE
        return [
            CommandHandler("moderation", self.recent, filters=new),
            CommandHandler("ban", self.ban, filters=new),
            CommandHandler("unban", self.unban, filters=new),
        ]

    async def recent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._allowed(update, "/moderation"):
            return
        language = language_of(update)
        args = context.args or []
        asked = parse_number(args[0]) if len(args) == 1 else None
        limit = max(1, min(RECENT_SHOWN if asked is None else asked, RECENT_MAX))
        records = self._submitter.moderation_records
        try:
            blocks = await records.recent_blocks(limit)
            banned = await records.banned()
        except StateError as exc:
            log.error("moderation_records_unavailable", error=repr(exc))
            await self._reply(update, texts.text("state_unavailable", language))
            return
        lines = [texts.text("moderation_recent_header", language, count=len(blocks))]
        if not blocks:
            lines = [texts.text("moderation_recent_none", language)]
        for block in blocks:
            when = dt.datetime.fromtimestamp(block.at, dt.UTC).strftime("%Y-%m-%d %H:%M")
            prompt = block.prompt[:PROMPT_SHOWN_CHARS] + (
                "…" if len(block.prompt) > PROMPT_SHOWN_CHARS else ""
            )
            lines.append(
                texts.text(
                    "moderation_recent_line",
                    language,
                    when=when,
                    user_id=block.user_id,
                    chat_id=block.chat_id,
                    stage=block.stage,
                    category=block.category,
                    score=f"{block.score:.2f}",
                    prompt=prompt,
                )
            )
        names = ", ".join(str(user_id) for user_id in banned) or "-"
        lines.append(texts.text("moderation_banned_list", language, users=names))
        await self._reply(update, "\n".join(lines))

    async def ban(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._change_ban(update, context, ban=True)

    async def unban(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._change_ban(update, context, ban=False)

    async def _change_ban(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, *, ban: bool
    ) -> None:
        if not await self._allowed(update, "/ban" if ban else "/unban"):
            return
        language = language_of(update)
        user_id = _user_id_argument(context)
        if user_id is None:
            usage = "moderation_ban_usage" if ban else "moderation_unban_usage"
            await self._reply(update, texts.text(usage, language))
            return
        records = self._submitter.moderation_records
        try:
            changed = await (records.ban(user_id) if ban else records.unban(user_id))
        except StateError as exc:
            log.error("moderation_ban_failed", error=repr(exc))
            await self._reply(update, texts.text("state_unavailable", language))
            return
        key = {
            (True, True): "moderation_banned_now",
            (True, False): "moderation_already_banned",
            (False, True): "moderation_unbanned_now",
            (False, False): "moderation_not_banned",
        }[(ban, changed)]
        log.info("moderation_ban_changed", user_id=user_id, banned=ban, changed=changed)
        await self._reply(update, texts.text(key, language, user_id=user_id))

    async def _allowed(self, update: Update, command: str) -> bool:
        """An admin, in a private chat: the answers quote other users' blocked prompts
        and name who is banned, which are not for a group's eyes (as with /stats)."""
        user, chat = update.effective_user, update.effective_chat
        language = language_of(update)
        if user is None or user.id not in self._settings.admin_user_ids:
            await self._reply(update, texts.text("moderation_admins_only", language))
            return False
        if chat is None or chat.type != "private":
            await self._reply(
                update, texts.text("moderation_private_only", language, command=command)
            )
            return False
        return True

    async def _reply(self, update: Update, text: str) -> None:
        message = update.effective_message
        if message is not None:
            await answers.reply(message, text)
