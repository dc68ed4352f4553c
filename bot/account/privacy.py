"""``/privacy``: what is kept about a user, for how long, and how to delete it;
``/deletemydata``: after a confirming press, deletes what is kept until deleted (the
user's settings and who referred them). Everything else expires on its own; credits and
payments stay, being the user's money. The confirmation is the user's own button: nobody
else's press deletes anything.
"""

from __future__ import annotations

import structlog
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.admission import answer_press
from bot.intake.identity import sender_of
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.errors import StateError

log = structlog.get_logger(__name__)

JOB_DAYS = 7  # how long the state store keeps a job (state.memory / state.redis_store)
DELETE_PREFIX = "x:"


class PrivacyCommands:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        new = filters.UpdateType.MESSAGE
        return [
            CommandHandler("privacy", self.privacy, filters=new),
            CommandHandler("deletemydata", self.delete, filters=new),
            CallbackQueryHandler(self.confirmed, pattern=f"^{DELETE_PREFIX}"),
        ]

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        language = language_of(update)
        settings = self._settings
        text = texts.text(
            "privacy",
            language,
            job_days=JOB_DAYS,
            gallery_days=settings.image_retention_days,
            original_hours=max(1, round(settings.provenance_originals_s / 3600)),
            mark_days=max(1, round(settings.provenance_keep_s / 86400)),
        )
        await answers.reply(message, text)

    async def delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None or sender is None:
            return
        language = language_of(update)
        button = InlineKeyboardButton(
            texts.text("button_delete_data", language), callback_data=f"{DELETE_PREFIX}{sender.id}"
        )
        keyboard = InlineKeyboardMarkup([[button]])
        await answers.at_least_once(
            lambda: message.reply_text(
                texts.text("delete_data_confirm", language), reply_markup=keyboard
            )
        )

    async def confirmed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        language = language_of(update)
        owner = (query.data or "").removeprefix(DELETE_PREFIX)
        if owner != str(query.from_user.id):
            await answer_press(query, texts.text("button_foreign", language))
            return
        try:
            await self._submitter.forget_user(query.from_user.id)
        except StateError as exc:
            log.error("user_data_not_deleted", error=repr(exc))
            await answer_press(query, texts.text("state_unavailable", language))
            return
        log.info("user_data_deleted", user_id=query.from_user.id)
        await answer_press(query)
        try:
            await query.edit_message_text(
                texts.text(
                    "delete_data_done",
                    language,
                    gallery_days=self._settings.image_retention_days,
                )
            )
        except TelegramError as exc:
            log.info("delete_confirmation_not_shown", error=repr(exc))
