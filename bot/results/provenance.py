"""Provenance in Telegram: ``/verify`` as a reply to any image, and the "Original file"
button under a result, which sends the signed original as a document (Telegram re-encodes
photos and drops their metadata, so only a document keeps the C2PA manifest)."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog
from telegram import CallbackQuery, InputFile, ReplyParameters, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.commands import is_for_bot, message_command
from bot.intake.inputs import TELEGRAM_DOWNLOAD_LIMIT, TooBig, UnsupportedFile
from bot.intake.inputs import find_edit_source as find_image
from bot.language import language_of
from bot.results.buttons import Action, parse_press
from fulmine.errors import InvalidInput
from orchestrator.frontend import JobSubmitter
from orchestrator.provenance.service import Verdict
from state.errors import StateError
from state.models import InputImage

log = structlog.get_logger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE


def verdict_text(verdict: Verdict, language: str | None) -> str:
    """One short message: the watermark (and its job), then the manifest if any."""
    lines: list[str] = []
    record = verdict.record
    if verdict.payload is None:
        lines.append(texts.text("verify_no_mark", language))
    elif record is None:
        lines.append(texts.text("verify_mark_unknown", language))
    else:
        when = dt.datetime.fromtimestamp(record.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(
            texts.text(
                "verify_mark_job",
                language,
                kind=texts.text(f"verify_kind_{record.kind}", language),
                when=when,
                model=record.model,
                provider=record.provider,
            )
        )
    found = verdict.manifest
    if found is not None and found.valid:
        trust = "verify_trusted" if found.trusted else "verify_untrusted"
        lines.append(
            texts.text(
                "verify_manifest_valid",
                language,
                signer=found.signer or "?",
                trust=texts.text(trust, language),
            )
        )
    elif found is not None:
        lines.append(texts.text("verify_manifest_invalid", language))
    return "\n".join(lines)


class ProvenanceCommands:
    def __init__(self, submitter: JobSubmitter) -> None:
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [
            CommandHandler("verify", self.verify, filters=NEW_MESSAGES),
            CallbackQueryHandler(self.original, pattern=f"^{Action.ORIGINAL.value}:"),
        ]

    async def verify(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        command = message_command(message)
        if command is None or not is_for_bot(command, context.bot.username):
            return
        language = language_of(update)
        source = find_image(message)
        if isinstance(source, UnsupportedFile):
            answer = texts.text("unsupported_file", language, mime_type=source.mime_type)
        elif isinstance(source, TooBig):
            size_mb = f"{source.size / 2**20:.1f}"
            answer = texts.text("file_too_big", language, size_mb=size_mb, limit_mb=20)
        elif not isinstance(source, InputImage):
            answer = texts.text("verify_needs_image", language)
        else:
            answer = await self._verdict(context, source, language)
        await answers.reply(message, answer)

    async def _verdict(
        self, context: ContextTypes.DEFAULT_TYPE, source: InputImage, language: str | None
    ) -> str:
        try:
            file = await context.bot.get_file(source.file_id)
            if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
                raise InvalidInput("telegram", "file over the 20 MB download limit")
            data = bytes(await file.download_as_bytearray())
            verdict = await self._submitter.provenance.verify(data)
        except (InvalidInput, BadRequest):
            return texts.text("verify_unreadable", language)
        except StateError as exc:
            log.error("verify_lookup_failed", error=repr(exc))
            return texts.text("state_unavailable", language)
        return verdict_text(verdict, language)

    async def original(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The signed files of a result, as documents, in the chat it was sent to."""
        query = update.callback_query
        assert query is not None  # guaranteed by CallbackQueryHandler
        language = language_of(update)
        press = parse_press(query.data)
        message = update.effective_message
        try:
            job = await self._submitter.get_job(press.job_id) if press is not None else None
            originals = [] if job is None else await self._originals(job.id, job.num_images)
        except StateError as exc:
            log.error("original_lookup_failed", error=repr(exc))
            await _answer(query, texts.text("state_unavailable", language))
            return
        if job is None or message is None or message.chat_id != job.chat_id or not originals:
            await _answer(query, texts.text("original_expired", language))
            return
        await _answer(query)
        for index, data in enumerate(originals):
            extension = "png" if data.startswith(b"\x89PNG") else "jpg"
            upload = InputFile(data, filename=f"fulmine-{job.id[:8]}-{index}.{extension}")
            await context.bot.send_document(
                job.chat_id,
                upload,
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                ),
                disable_content_type_detection=True,
            )

    async def _originals(self, job_id: str, count: int) -> list[bytes]:
        found = await asyncio.gather(
            *(self._submitter.provenance.original(job_id, i) for i in range(count))
        )
        return [data for data in found if data is not None]


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner; a query too old to answer is no reason to fail."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("callback_answer_failed", error=repr(exc))
