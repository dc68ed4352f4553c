"""Inline mode: ``@bot a red fox`` in any chat, the bot need not be a member.

The query is answered with "Generate: a red fox" and the sender's recent images (cached
photos, sent again as they are: nothing made, nothing charged). Choosing "Generate" posts a
placeholder text in the chat; Telegram then sends ``chosen_inline_result`` (inline feedback
must be on in BotFather) with the ``inline_message_id`` it can be edited by, given only
because the placeholder carries an inline keyboard. The job goes through the same admission
as a command (moderation, rate limits, payment); a refusal or a failure edits the
placeholder into a short message, a delivered image replaces it (``editMessageMedia``).
A request short of credit is refused, not parked behind an invoice (no chat would show
it): the placeholder says so, with a button to a top-up in the private chat.

Telegram cannot upload a file into an inline message: the image is first sent to
``TELEGRAM_INLINE_STORAGE_CHAT`` (or, unset, to the user's own chat with the bot, where it
stays for ``/edit`` and ``/undo``), then the placeholder is edited to it by file id.
An inline message cannot be deleted by the bot; it is only ever edited.

Registered only with ``TELEGRAM_INLINE`` on (``bot.webhook_admin`` then asks Telegram for
the two update kinds).
"""

from __future__ import annotations

import contextlib
import math

import structlog
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from bot import texts
from bot.account.model_choice import choice_refusal_text
from bot.admin.moderation_admin import refusal_text
from bot.intake.commands import cut_to_caption
from bot.intake.deep_links import buy_link
from bot.intake.options import OptionProblem, ParsedCommand, parse_options, with_defaults
from bot.language import language_of
from bot.sending.failures import failure_text_key
from bot.sending.photos import fitted
from orchestrator.catalog.errors import UnknownLora, UnknownModel
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.errors import ModerationRefusal
from orchestrator.payments.errors import CreditShort, PaymentRefusal
from orchestrator.preferences import Preferences
from orchestrator.settings import Settings
from providers.base import ProviderImage
from state.errors import RateLimited, StateError
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

GENERATE_RESULT = "generate"
RECENT_PREFIX = "recent:"
PROBLEM_RESULT = "problem"  # what is wrong with the query's options, as its text
RECENT_OFFERED = 10  # of the sender's recent images, offered as cached photos
TITLE_SHOWN = 64  # characters of the prompt in a result's title
ANSWER_CACHE_S = 5  # the results are the sender's own (is_personal) and change often
CHOSEN_MARK_TTL_S = 86400.0
RATE_LIMITED_TEXTS = {"user": "rate_limited_user", "chat": "rate_limited_chat"}


def inline_on(settings: Settings) -> bool:
    return settings.telegram_inline


def another_keyboard(language: str | None) -> InlineKeyboardMarkup:
    """The placeholder's keyboard: it is what makes Telegram give the message an
    ``inline_message_id``; its button starts another inline query in the same chat."""
    button = InlineKeyboardButton(
        texts.text("inline_another", language), switch_inline_query_current_chat=""
    )
    return InlineKeyboardMarkup([[button]])


def topup_keyboard(bot: Bot, language: str | None) -> InlineKeyboardMarkup:
    """A placeholder short of credit: a button to a top-up in the private chat, and
    another image."""
    top_up = InlineKeyboardButton(texts.text("inline_top_up", language), url=buy_link(bot))
    return InlineKeyboardMarkup([[top_up], *another_keyboard(language).inline_keyboard])


def _shown(prompt: str) -> str:
    return prompt if len(prompt) <= TITLE_SHOWN else prompt[: TITLE_SHOWN - 1] + "…"


class InlineMode:
    def __init__(self, settings: Settings, submitter: JobSubmitter, bot: Bot) -> None:
        self._settings = settings
        self._submitter = submitter
        self._bot = bot

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        if not inline_on(self._settings):
            return []
        return [InlineQueryHandler(self.offer), ChosenInlineResultHandler(self.chosen)]

    def _parsed(self, query: str) -> ParsedCommand | OptionProblem | None:
        """The query as a ``/generate`` argument; what is wrong with its options; or None
        when it asks for nothing makeable."""
        parsed = parse_options(query.strip(), JobKind.GENERATE)
        if isinstance(parsed, OptionProblem):
            return parsed
        if not parsed.prompt or len(parsed.prompt) > self._settings.max_prompt_chars:
            return None
        return parsed

    # The query ------------------------------------------------------------------------

    async def offer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        assert query is not None  # guaranteed by InlineQueryHandler
        language = language_of(update)
        results: list[InlineQueryResultArticle | InlineQueryResultCachedPhoto] = []
        parsed = self._parsed(query.query)
        if isinstance(parsed, OptionProblem):  # said as a command would; nothing to make
            said = texts.text(parsed.key, language, **parsed.fields)
            article = InlineQueryResultArticle(
                PROBLEM_RESULT, _shown(said), InputTextMessageContent(said), description=said
            )
            results.append(article)
        elif parsed is not None:
            placeholder = texts.text("inline_placeholder", language, prompt=parsed.prompt)
            results.append(
                InlineQueryResultArticle(
                    GENERATE_RESULT,
                    texts.text("inline_generate_title", language, prompt=_shown(parsed.prompt)),
                    InputTextMessageContent(placeholder),
                    reply_markup=another_keyboard(language),
                    description=texts.text("inline_generate_description", language),
                )
            )
        try:
            recent = await self._submitter.edit_history.recent(query.from_user.id)
        except StateError as exc:  # the Generate result is still offered
            log.warning("inline_recent_unread", error=repr(exc))
            recent = []
        for number, file_id in enumerate(recent[:RECENT_OFFERED], start=1):
            results.append(
                InlineQueryResultCachedPhoto(
                    f"{RECENT_PREFIX}{number}",
                    file_id,
                    title=texts.text("inline_recent_title", language, number=number),
                )
            )
        try:
            await query.answer(results, cache_time=ANSWER_CACHE_S, is_personal=True)
        except TelegramError as exc:  # the user typed on: this query is stale
            log.info("inline_answer_failed", error=repr(exc))

    # The chosen result -------------------------------------------------------------------

    async def chosen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chosen = update.chosen_inline_result
        assert chosen is not None  # guaranteed by ChosenInlineResultHandler
        inline_id = chosen.inline_message_id
        if chosen.result_id != GENERATE_RESULT or inline_id is None:
            return  # a recent image: sent by Telegram as it was, nothing to do
        user = chosen.from_user
        language = language_of(update)
        parsed = self._parsed(chosen.query)
        if parsed is None or isinstance(parsed, OptionProblem):
            problem = parsed or OptionProblem("generate_usage")
            await self._say(
                inline_id, texts.text(problem.key, language, **problem.fields), language
            )
            return
        if parsed.options.enhance and not self._submitter.can_enhance:
            await self._say(inline_id, texts.text("enhance_not_configured", language), language)
            return
        try:
            if not await self._submitter.first_time(f"inline:{inline_id}", CHOSEN_MARK_TTL_S):
                return  # this placeholder has its job already
            preferences = await self._submitter.preferences(user.id)
        except StateError as exc:
            log.error("inline_not_admitted", error=repr(exc))
            await self._say(inline_id, texts.text("state_unavailable", language), language)
            return
        await self._start(inline_id, user.id, user.first_name, language, parsed, preferences)

    async def _start(
        self,
        inline_id: str,
        user_id: int,
        name: str,
        language: str | None,
        parsed: ParsedCommand,
        preferences: Preferences,
    ) -> None:
        options = with_defaults(parsed.options, preferences, JobKind.GENERATE)
        job = Job(
            kind=JobKind.GENERATE,
            prompt=parsed.prompt,
            chat_id=user_id,  # the user's own chat with the bot: where notices go
            user_id=user_id,
            request_message_id=0,
            language=language,
            aspect_ratio=options.aspect_ratio or "1:1",
            seed=options.seed,
            num_images=1,  # an inline message shows one image
            model=options.model,
            lora=options.lora,
            lora_scale=options.lora_scale,
            enhance=bool(options.enhance),
            requester_name=name,
            chat_type="private",
            inline_message_id=inline_id,
            flagged_images="block",  # its chat is unknown to the bot: never shown there
        )
        try:
            refusal = await self._admit(job, language)
        except CreditShort:  # nowhere to show an invoice: the placeholder says how to top up
            log.info("inline_job_unpaid", refusal="CreditShort", job_id=job.id)
            text = texts.text("inline_payment_required", language)
            await self._say(inline_id, text, language, topup_keyboard(self._bot, language))
            return
        if refusal is not None:
            await self._say(inline_id, refusal, language)
            return
        try:
            await self._submitter.submit(job)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await self._submitter.withdraw(job)
            if not isinstance(exc, StateError):
                raise
            log.error("job_not_queued", error=repr(exc))
            await self._say(inline_id, texts.text("state_unavailable", language), language)
            return
        log.info("job_accepted", job_id=job.id, kind=job.kind, inline=True)

    async def _admit(self, job: Job, language: str | None) -> str | None:
        """Admission as for a command; the refusal's text, or None when admitted (a
        ``CreditShort`` is raised: it takes a button)."""
        try:
            await self._submitter.admit(job)
        except (UnknownModel, UnknownLora) as exc:
            return choice_refusal_text(exc, language)
        except ModerationRefusal as exc:
            log.info("job_refused_by_moderation", refusal=type(exc).__name__, inline=True)
            return refusal_text(exc, language)
        except CreditShort:
            raise
        except PaymentRefusal as exc:
            log.info("inline_job_unpaid", refusal=type(exc).__name__, job_id=job.id)
            return texts.text("payments_unavailable", language)
        except RateLimited as exc:
            seconds = max(1, math.ceil(exc.retry_after_s))
            key = RATE_LIMITED_TEXTS.get(exc.scope, "rate_limited_busy")
            return texts.text(key, language, seconds=seconds)
        except StateError as exc:
            log.error("job_not_admitted", error=repr(exc))
            return texts.text("state_unavailable", language)
        return None

    async def _say(
        self,
        inline_id: str,
        text: str,
        language: str | None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """The placeholder becomes ``text`` (it cannot be deleted, only edited)."""
        try:
            await self._bot.edit_message_text(
                text,
                inline_message_id=inline_id,
                reply_markup=markup or another_keyboard(language),
            )
        except TelegramError as exc:
            log.info("inline_edit_failed", error=repr(exc))

    # Delivery (``bot.frontend`` hands over jobs that have an ``inline_message_id``) -------

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        """Upload the image where the bot can reference it, then edit the placeholder to
        it by file id. Errors propagate: the job fails and the placeholder says so."""
        assert job.inline_message_id is not None
        prepared = await fitted(images[0])
        caption = cut_to_caption(job.prompt)
        storage = self._settings.telegram_inline_storage_chat or job.user_id
        upload = InputFile(prepared.data, filename=f"fulmine-{job.id[:8]}.{prepared.extension}")
        media: InputMediaPhoto | InputMediaDocument
        if prepared.as_photo:
            sent = await self._bot.send_photo(
                storage, upload, caption=caption, disable_notification=True
            )
            file_id = sent.photo[-1].file_id
            media = InputMediaPhoto(file_id, caption=caption)
        else:
            sent = await self._bot.send_document(
                storage, upload, caption=caption, disable_notification=True
            )
            assert sent.document is not None
            file_id = sent.document.file_id
            media = InputMediaDocument(file_id, caption=caption)
        await self._bot.edit_message_media(
            media,
            inline_message_id=job.inline_message_id,
            reply_markup=another_keyboard(job.language),
        )
        job.result_file_ids = [file_id]

    async def report_failure(self, job: Job, error: BaseException) -> None:
        assert job.inline_message_id is not None
        own_chat = self._settings.telegram_inline_storage_chat is None
        # Telegram: 403 for a user who never started the bot, 400 for one it never met.
        unreachable = isinstance(error, Forbidden) or (
            isinstance(error, BadRequest) and "chat not found" in error.message.lower()
        )
        key = "inline_needs_private_chat" if own_chat and unreachable else failure_text_key(error)
        text = texts.text(key, job.language)
        await self._say(job.inline_message_id, text, job.language)
