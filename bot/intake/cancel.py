"""``/cancel`` and the Cancel button under a status message: a job its sender no longer
wants, while it waits or is being made (``orchestrator.jobs.cancelling``).

The sender's latest job in a chat is kept (``active:<chat>:<sender>``, for the job
deadline) when it is queued, so ``/cancel`` needs no argument. A job still waiting is
failed as cancelled at once, by this process; one being made, by its worker: either way
its reservation released, its status message saying so, with a Try again button. A job
whose images are already being sent is no longer cancelled.
"""

from __future__ import annotations

import structlog
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.admission import answer_press
from bot.intake.identity import sender_of
from bot.language import language_of
from bot.results.buttons import Action, callback_data, parse_press
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.errors import StateError
from state.models import Job

log = structlog.get_logger(__name__)


def _active_key(chat_id: int, sender_id: int) -> str:
    return f"active:{chat_id}:{sender_id}"


def cancel_keyboard(job: Job) -> InlineKeyboardMarkup:
    """The Cancel button under a job's status message, while it waits or is made."""
    button = InlineKeyboardButton(
        texts.text("button_cancel", job.language),
        callback_data=callback_data(Action.CANCEL, job.id),
    )
    return InlineKeyboardMarkup([[button]])


async def remember_active(submitter: JobSubmitter, settings: Settings, job: Job) -> None:
    """Keep ``job`` as its sender's latest in its chat; cosmetic, so never an error."""
    try:
        await submitter.remember(
            _active_key(job.chat_id, job.user_id), job.id, settings.job_deadline_s
        )
    except StateError as exc:
        log.warning("active_job_not_kept", error=repr(exc))


class CancelCommands:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [
            CommandHandler("cancel", self.command, filters=filters.UpdateType.MESSAGE),
            CallbackQueryHandler(self.press, pattern=f"^{Action.CANCEL.value}:"),
        ]

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None or sender is None:
            return
        language = language_of(update)
        try:
            job_id = await self._submitter.recall(_active_key(message.chat_id, sender.id))
            job = await self._submitter.cancel(job_id) if job_id is not None else None
        except StateError as exc:
            log.error("cancel_failed", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        if job is None:
            await answers.reply(message, texts.text("cancel_nothing", language))
            return
        log.info("job_cancel_requested", job_id=job.id)
        await answers.reply(message, texts.text("cancel_done", language))

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        language = language_of(update)
        press = parse_press(query.data)
        try:
            job = await self._submitter.get_job(press.job_id) if press is not None else None
            if job is not None and job.user_id != query.from_user.id:
                await answer_press(query, texts.text("button_foreign", language))
                return
            cancelled = await self._submitter.cancel(job.id) if job is not None else None
        except StateError as exc:
            log.error("cancel_failed", error=repr(exc))
            await answer_press(query, texts.text("state_unavailable", language))
            return
        said = "cancel_done" if cancelled is not None else "cancel_too_late"
        await answer_press(query, texts.text(said, language))
