"""python-telegram-bot handlers: parse, check, answer or hand the work to a job."""

from __future__ import annotations

import contextlib

import structlog
from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import answers, texts
from bot.account.mini_app import MiniAppCommands
from bot.account.model_menu import ModelMenu
from bot.account.privacy import PrivacyCommands
from bot.admin.moderation_admin import ModerationAdmin
from bot.admin.stats import StatsCommand
from bot.intake.admission import admitted, answer_press
from bot.intake.banned import BannedGate
from bot.intake.cancel import CancelCommands, cancel_keyboard, remember_active
from bot.intake.commands import Command, is_for_bot, message_command
from bot.intake.conversation import Conversation
from bot.intake.deep_links import DeepLinks
from bot.intake.identity import sender_of
from bot.intake.inputs import EditSource, find_edit_source, source_problem
from bot.intake.options import (
    ImageOptions,
    OptionProblem,
    ParsedCommand,
    parse_options,
    with_defaults,
)
from bot.language import language_of
from bot.money.payments import PaymentCommands
from bot.money.pools import PoolCommands
from bot.money.prices import prices_text
from bot.money.stars import StarsCommands
from bot.results.buttons import follow_up, parse_press
from bot.results.details import DetailsButton
from bot.results.history import HistoryCommands
from bot.results.provenance import ProvenanceCommands
from bot.sending.status import ACCEPTED_KEY
from orchestrator.frontend import JobSubmitter
from orchestrator.preferences import Preferences
from orchestrator.settings import Settings
from state.errors import StateError
from state.models import InputImage, Job, JobKind

log = structlog.get_logger(__name__)

GENERATE_COMMANDS = ("generate", "gen", "imagine")


NEW_MESSAGES = filters.UpdateType.MESSAGE  # an edited message never starts a job
EDIT_CAPTION = filters.CaptionRegex(r"^/edit(@\w+)?(\s|$)") & (filters.PHOTO | filters.Document.ALL)


class Handlers:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter
        self._conversation = Conversation(settings, submitter, self)
        self._payments = PaymentCommands(settings, submitter)
        topup = self._payments.topup if settings.payments_backend != "none" else None
        self._deep_links = DeepLinks(settings, submitter, self._conversation, topup)

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        application.add_handlers(BannedGate(self._submitter).handlers(), group=-1)
        application.add_handlers(
            [
                CommandHandler("start", self.start, filters=NEW_MESSAGES),
                CommandHandler("help", self.help, filters=NEW_MESSAGES),
                CommandHandler(GENERATE_COMMANDS, self.generate, filters=NEW_MESSAGES),
                CommandHandler("edit", self.edit, filters=NEW_MESSAGES),
                CommandHandler("upscale", self.upscale, filters=NEW_MESSAGES),
                MessageHandler(NEW_MESSAGES & EDIT_CAPTION, self.edit),
                *ModerationAdmin(self._settings, self._submitter).handlers(),
                StatsCommand(self._settings, self._submitter).handler(),
                *self._payments.handlers(),
                *StarsCommands(self._settings, self._submitter).handlers(),
                *HistoryCommands(self._submitter).handlers(),
                *PoolCommands(self._settings, self._submitter).handlers(),
                *ProvenanceCommands(self._submitter).handlers(),
                *CancelCommands(self._settings, self._submitter).handlers(),
                *PrivacyCommands(self._settings, self._submitter).handlers(),
                *DetailsButton(self._submitter).handlers(),
                *ModelMenu(self._settings, self._submitter).handlers(),
                *MiniAppCommands(self._settings).handlers(),
                MessageHandler(NEW_MESSAGES & private & filters.COMMAND, self.unknown_command),
                *self._conversation.handlers(),
                CallbackQueryHandler(self.button),
            ]
        )

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The greeting; a deep link's payload (``bot.intake.deep_links``) is acted on after it."""
        user = update.effective_user
        name = user.first_name if user else ""
        language = language_of(update)
        text = texts.text("start", language, name=name) + await self._prices(update)
        await self._reply(update, text)
        await self._deep_links.follow(update, context.args or [])

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Everything a user can do; an admin, in a private chat, also reads the admin
        commands (never in a group: admin surfaces stay private)."""
        language = language_of(update)
        text = texts.text(
            "help", language, max_chars=self._settings.max_prompt_chars
        ) + await self._prices(update)
        user, chat = update.effective_user, update.effective_chat
        if (
            user is not None
            and chat is not None
            and chat.type == chat.PRIVATE
            and user.id in self._settings.admin_user_ids
        ):
            text += texts.text("help_admin", language)
        await self._reply(update, text)

    async def _prices(self, update: Update) -> str:
        """What things cost and the sender's free images left today ("" without payments)."""
        sender = sender_of(update)
        user_id = sender.id if sender is not None else None
        return await prices_text(self._settings, self._submitter, user_id, language_of(update))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, texts.text("unknown_command", language_of(update)))

    async def generate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = self._command(update, context)
        if command is None:
            return
        if not command.argument:  # a bare /generate: asked, and the answer is the prompt
            await self._conversation.ask(update, JobKind.GENERATE)
            return
        await self.request(update, JobKind.GENERATE, command.argument, None)

    async def edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = self._command(update, context)
        if command is None:
            return
        message = update.effective_message
        assert message is not None  # guaranteed by the handlers' filters
        await self.request(update, JobKind.EDIT, command.argument, find_edit_source(message))

    async def request(
        self, update: Update, kind: JobKind, argument: str, source: EditSource | None
    ) -> None:
        """A request in words (a command's argument, a caption, an answer, plain text):
        its image (for an edit) and its options checked, then the job started."""
        if source is not None and not isinstance(source, InputImage):
            problem = source_problem(source, language_of(update))
            await self._reply(
                update, problem or texts.text("edit_needs_image", language_of(update))
            )
            return
        usage_key = "edit_usage" if kind is JobKind.EDIT else "generate_usage"
        parsed = await self._prompt_and_options(update, argument, kind, usage_key)
        if parsed is not None:
            await self._start_job(update, kind, parsed.prompt, source, parsed.options)

    async def upscale(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/upscale`` as a reply to an image: through the catalog's upscale model."""
        message = update.effective_message
        if self._command(update, context) is None or message is None:
            return
        source = find_edit_source(message)
        if not isinstance(source, InputImage):
            await self._reply(update, texts.text("upscale_needs_image", language_of(update)))
            return
        await self._start_job(update, JobKind.UPSCALE, "upscale", source, ImageOptions())

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Regenerate / Variations: a new request through the same path as a command."""
        query = update.callback_query
        assert query is not None  # guaranteed by CallbackQueryHandler
        language = language_of(update)
        press = parse_press(query.data)
        try:
            job = await self._submitter.get_job(press.job_id) if press is not None else None
        except StateError as exc:
            log.error("button_job_lookup_failed", error=repr(exc))
            await answer_press(query, texts.text("state_unavailable", language))
            return
        message = update.effective_message  # None when Telegram no longer shows it to us
        request = follow_up(press, job) if press is not None and job is not None else None
        if job is None or request is None or message is None or message.chat_id != job.chat_id:
            await answer_press(query, texts.text("button_expired", language))
            return
        if query.from_user.id != job.user_id:
            await answer_press(query, texts.text("button_foreign", language))
            return
        if request.kind is JobKind.EDIT and not request.prompt:  # Edit: asked what to change
            await answer_press(query)
            await self._conversation.ask(update, JobKind.EDIT, request.source)
            return
        # Answered once admission has spoken: a refusal is the button's own pop-up.
        await self._start_job(
            update, request.kind, request.prompt, request.source, request.options, query
        )

    def _command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
        message = update.effective_message
        if message is None:
            return None
        command = message_command(message)
        if command is None or not is_for_bot(command, context.bot.username):
            return None
        return command

    async def _prompt_and_options(
        self, update: Update, argument: str, kind: JobKind, usage_key: str
    ) -> ParsedCommand | None:
        """The prompt and options, or None after telling the user what is wrong."""
        parsed = parse_options(argument, kind)
        if isinstance(parsed, OptionProblem):
            await self._reply(update, texts.text(parsed.key, language_of(update), **parsed.fields))
            return None
        if not parsed.prompt:
            await self._reply(update, texts.text(usage_key, language_of(update)))
            return None
        if await self._too_long(update, parsed.prompt):
            return None
        return parsed

    async def _too_long(self, update: Update, prompt: str) -> bool:
        limit = self._settings.max_prompt_chars
        if len(prompt) <= limit:
            return False
        await self._reply(
            update,
            texts.text("prompt_too_long", language_of(update), length=len(prompt), max_chars=limit),
        )
        return True

    async def _start_job(
        self,
        update: Update,
        kind: JobKind,
        prompt: str,
        source: InputImage | None,
        options: ImageOptions,
        query: CallbackQuery | None = None,
    ) -> None:
        """The one path every job takes: limits, status message, queue. The job is the true
        sender's (``bot.intake.identity``): an anonymous admin's or a channel's is its chat's. A
        button's press (``query``) is answered here: rate limited, with a pop-up saying so
        (not a new message in the chat); otherwise without words."""
        message = update.effective_message
        sender = sender_of(update)
        assert message is not None
        if sender is None:  # a service account speaking for no chat: nobody to charge
            return
        language = language_of(update)
        if options.enhance and not self._submitter.can_enhance:
            await self._reply(update, texts.text("enhance_not_configured", language))
            return
        options = with_defaults(options, await self._preferences(sender.id), kind)
        job = Job(
            kind=kind,
            prompt=prompt,
            chat_id=message.chat_id,
            user_id=sender.id,
            request_message_id=message.message_id,
            input_image=source,
            language=language,
            aspect_ratio=options.aspect_ratio or "1:1",
            seed=options.seed,
            num_images=options.num_images or 1,
            model=options.model,
            lora=options.lora,
            lora_scale=options.lora_scale,
            enhance=bool(options.enhance),
            variation_strength=options.strength,
            requester_name=sender.name,
            chat_type=message.chat.type,
        )
        if not await admitted(self._submitter, self._settings, update, job, query):
            return
        try:
            try:
                # Sent once: a second copy would be left behind (see bot.answers).
                status = await message.reply_text(
                    texts.text(ACCEPTED_KEY, language), reply_markup=cancel_keyboard(job)
                )
                job.status_message_id = status.message_id
            except NetworkError as exc:
                if isinstance(exc, BadRequest):
                    raise
                # No answer (it may have arrived): the job goes on without a status
                # message; its photo or its failure comes in a message of its own.
                log.warning("status_message_unconfirmed", error=repr(exc))
            await self._submitter.submit(job)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await self._submitter.withdraw(job)
            if not isinstance(exc, StateError):
                raise
            await self._reply(update, texts.text("state_unavailable", language))
            log.error("job_not_queued", error=repr(exc))
            return
        await remember_active(self._submitter, self._settings, job)
        log.info("job_accepted", job_id=job.id, kind=kind, chat_id=job.chat_id)

    async def _preferences(self, user_id: int) -> Preferences:
        """The user's settings; without the state store, none (the job is refused later)."""
        try:
            return await self._submitter.preferences(user_id)
        except StateError as exc:
            log.warning("preferences_unread", error=repr(exc))
            return Preferences()

    async def _reply(self, update: Update, text: str) -> Message:
        message = update.effective_message
        assert message is not None
        return await answers.reply(message, text)
