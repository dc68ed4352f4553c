"""Edit history in the chat (``orchestrator.history``): ``/undo`` sends the version an
edited image was made from again, by its file id (no provider call, nothing charged); the
History button under an edited result lists its chain as an album, each version with the
instruction that made it. ``/edit`` as a reply to any version branches from it.

``/undo`` as a reply applies to the replied image; alone, to the image the sender last got
in this chat (so repeated ``/undo`` walks back one version at a time).
"""

from __future__ import annotations

import structlog
from telegram import InputMediaPhoto, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.identity import sender_of
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.history import Version
from state.errors import StateError

log = structlog.get_logger(__name__)

HISTORY_PREFIX = "h:"
INSTRUCTION_SHOWN = 200  # characters of an instruction in a caption


def history_data(job_id: str) -> str:
    return HISTORY_PREFIX + job_id


def _image_of(message: Message | None) -> str | None:
    if message is None:
        return None
    if message.photo:
        return message.photo[-1].file_id
    if message.document is not None and (message.document.mime_type or "").startswith("image/"):
        return message.document.file_id
    return None


def _shown(instruction: str) -> str:
    if len(instruction) <= INSTRUCTION_SHOWN:
        return instruction
    return instruction[: INSTRUCTION_SHOWN - 1] + "…"


def version_caption(number: int, version: Version, language: str | None) -> str:
    if version.instruction is None:
        return texts.text("history_original", language, number=number)
    text = _shown(version.instruction)
    return texts.text("history_version", language, number=number, instruction=text)


class HistoryCommands:
    def __init__(self, submitter: JobSubmitter) -> None:
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [
            CommandHandler("undo", self.undo, filters=filters.UpdateType.MESSAGE),
            CallbackQueryHandler(self.album, pattern=f"^{HISTORY_PREFIX}[0-9a-f]+$"),
        ]

    async def undo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None or sender is None:
            return
        language = sender.language
        history = self._submitter.edit_history
        try:
            file_id = _image_of(message.reply_to_message) or (
                None
                if message.reply_to_message is not None
                else await history.last(message.chat_id, sender.id)
            )
            previous = await history.previous(file_id) if file_id is not None else None
        except StateError as exc:
            log.error("history_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        if previous is None:
            await answers.reply(message, texts.text("undo_nothing", language))
            return
        caption = (
            texts.text("undo_sent", language, instruction=_shown(previous.instruction))
            if previous.instruction is not None
            else texts.text("undo_sent_original", language)
        )
        await message.reply_photo(previous.file_id, caption=caption, has_spoiler=previous.spoiler)
        try:
            await history.set_last(message.chat_id, sender.id, previous.file_id)
        except StateError as exc:  # sent all the same; the next /undo starts from before
            log.warning("history_last_not_kept", error=repr(exc))

    async def album(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # guaranteed by CallbackQueryHandler
        language = language_of(update)
        message = update.effective_message
        job_id = (query.data or "").removeprefix(HISTORY_PREFIX)
        try:
            job = await self._submitter.get_job(job_id)
            files = job.result_file_ids if job is not None else []
            chain = await self._submitter.edit_history.chain(files[0]) if files else []
        except StateError as exc:
            log.error("history_unavailable", error=repr(exc))
            await self._answer(query.answer(texts.text("state_unavailable", language)))
            return
        if message is None or len(chain) < 2:
            await self._answer(query.answer(texts.text("history_single", language)))
            return
        await self._answer(query.answer())
        album = [
            InputMediaPhoto(
                version.file_id,
                caption=version_caption(n, version, language),
                has_spoiler=version.spoiler,
            )
            for n, version in enumerate(chain, start=1)
        ]
        await message.reply_media_group(album)

    @staticmethod
    async def _answer(answering: object) -> None:
        try:
            await answering  # type: ignore[misc]
        except TelegramError as exc:  # too old to answer: no reason to fail
            log.info("callback_answer_failed", error=repr(exc))
