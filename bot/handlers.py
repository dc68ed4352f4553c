"""python-telegram-bot handlers: parse, check, answer or hand the work to a job."""

from __future__ import annotations

import structlog
from telegram import Message, Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
from bot.commands import Command, is_for_bot, message_command
from bot.inputs import NoImage, TooBig, UnsupportedFile, find_edit_source
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.models import InputImage, Job, JobKind

log = structlog.get_logger(__name__)

GENERATE_COMMANDS = ("generate", "gen", "imagine")
NEW_MESSAGES = filters.UpdateType.MESSAGE  # an edited message never starts a job
EDIT_CAPTION = filters.CaptionRegex(r"^/edit(@\w+)?(\s|$)") & (filters.PHOTO | filters.Document.ALL)


def _language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


class Handlers:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        application.add_handlers(
            [
                CommandHandler("start", self.start, filters=NEW_MESSAGES),
                CommandHandler("help", self.help, filters=NEW_MESSAGES),
                CommandHandler(GENERATE_COMMANDS, self.generate, filters=NEW_MESSAGES),
                CommandHandler("edit", self.edit, filters=NEW_MESSAGES),
                MessageHandler(NEW_MESSAGES & EDIT_CAPTION, self.edit),
                MessageHandler(NEW_MESSAGES & private & filters.COMMAND, self.unknown_command),
                MessageHandler(NEW_MESSAGES & private & filters.TEXT, self.hint),
            ]
        )

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        name = user.first_name if user else ""
        await self._reply(update, texts.text("start", _language(update), name=name))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(
            update,
            texts.text("help", _language(update), max_chars=self._settings.max_prompt_chars),
        )

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, texts.text("unknown_command", _language(update)))

    async def hint(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, texts.text("private_hint", _language(update)))

    async def generate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = self._command(update, context)
        if command is None:
            return
        if not command.argument:
            await self._reply(update, texts.text("generate_usage", _language(update)))
            return
        if await self._too_long(update, command.argument):
            return
        await self._start_job(update, JobKind.GENERATE, command.argument, None)

    async def edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = self._command(update, context)
        if command is None:
            return
        language = _language(update)
        message = update.effective_message
        assert message is not None  # guaranteed by the handlers' filters
        source = find_edit_source(message)
        if isinstance(source, NoImage):
            await self._reply(update, texts.text("edit_needs_image", language))
        elif isinstance(source, UnsupportedFile):
            await self._reply(
                update, texts.text("unsupported_file", language, mime_type=source.mime_type)
            )
        elif isinstance(source, TooBig):
            await self._reply(
                update,
                texts.text(
                    "file_too_big", language, size_mb=f"{source.size / 2**20:.1f}", limit_mb=20
                ),
            )
        elif not command.argument:
            await self._reply(update, texts.text("edit_usage", language))
        elif not await self._too_long(update, command.argument):
            await self._start_job(update, JobKind.EDIT, command.argument, source)

    def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
        message = update.effective_message
        if message is None:
            return None
        command = message_command(message)
        if command is None or not is_for_bot(command, context.bot.username):
            return None
        return command

    async def _too_long(self, update: Update, prompt: str) -> bool:
        limit = self._settings.max_prompt_chars
        if len(prompt) <= limit:
            return False
        await self._reply(
            update,
            texts.text("prompt_too_long", _language(update), length=len(prompt), max_chars=limit),
        )
        return True

    async def _start_job(
        self, update: Update, kind: JobKind, prompt: str, source: InputImage | None
    ) -> None:
        message = update.effective_message
        user = update.effective_user
        assert message is not None
        assert user is not None
        language = _language(update)
        status_key = "status_editing" if kind is JobKind.EDIT else "status_generating"
        status = await self._reply(update, texts.text(status_key, language))
        job = Job(
            kind=kind,
            prompt=prompt,
            chat_id=message.chat_id,
            user_id=user.id,
            request_message_id=message.message_id,
            status_message_id=status.message_id,
            input_image=source,
            language=language,
        )
        await self._submitter.submit(job)
        log.info("job_accepted", job_id=job.id, kind=kind, chat_id=job.chat_id)

    async def _reply(self, update: Update, text: str) -> Message:
        message = update.effective_message
        assert message is not None
        return await message.reply_text(text)
