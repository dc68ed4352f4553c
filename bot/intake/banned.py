"""Banned users: one line, the same for every command, button and message.

Checked before any other handler (a handler group of its own, ``-1``): a banned sender's
command, private message or button press is answered with ``moderation_banned`` and
goes no further, so no feature list, price or prompt question reaches them. Commands for
another bot and a group's ordinary conversation are not answered at all. When the state
store cannot say, the update goes on: admission checks the ban again.
"""

from __future__ import annotations

import structlog
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import answers, texts
from bot.intake.commands import is_for_bot, message_command
from bot.intake.identity import sender_of
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from state.errors import StateError

log = structlog.get_logger(__name__)

ADDRESSED = filters.UpdateType.MESSAGE & (
    filters.COMMAND | filters.CaptionRegex(r"^/") | filters.ChatType.PRIVATE
)


class BannedGate:
    def __init__(self, submitter: JobSubmitter) -> None:
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [MessageHandler(ADDRESSED, self.message), CallbackQueryHandler(self.press)]

    async def _banned(self, update: Update) -> bool:
        sender = sender_of(update)
        if sender is None:
            return False
        try:
            return await self._submitter.moderation_records.is_banned(sender.id)
        except StateError as exc:
            log.warning("ban_unchecked", error=repr(exc))
            return False

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        command = message_command(message)
        if command is not None and not is_for_bot(command, context.bot.username):
            return
        if message.chat.type != message.chat.PRIVATE and command is None:
            return
        if await self._banned(update):
            language = language_of(update)
            await answers.reply(message, texts.text("moderation_banned", language))
            raise ApplicationHandlerStop

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        if await self._banned(update):
            try:
                await query.answer(texts.text("moderation_banned", language_of(update)))
            except TelegramError as exc:
                log.info("callback_answer_failed", error=repr(exc))
            raise ApplicationHandlerStop
