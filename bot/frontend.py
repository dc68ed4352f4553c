"""The Telegram front end: python-telegram-bot without an updater, fed by the webhook."""

from __future__ import annotations

import hmac
import os
from typing import Any

import structlog
from starlette.types import ASGIApp
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import language, texts
from bot.account.mini_app import set_menu_button
from bot.admin import menus
from bot.handlers import Handlers
from bot.intake.cancel import cancel_keyboard
from bot.intake.identity import sender_of
from bot.money import payments, stars
from bot.results.inline import InlineMode
from bot.sending.bot_api_request import RetryingRequest
from bot.sending.chat_actions import ChatActionBudget
from bot.sending.delivery import Delivery
from bot.sending.flood import SharedPaceLimiter
from bot.sending.status import show_elapsed, status_key
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import TelegramWebhook
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.notices import PaymentNotice
from orchestrator.settings import Settings
from providers.base import ProviderImage
from state.base import SendPacer
from state.errors import StateError
from state.models import Job
from state.pacing_memory import MemorySendPacer

log = structlog.get_logger(__name__)

PING_TIMEOUT_S = 3.0
BOT_API_CONNECTIONS = 256
BOT_API_POOL_WAIT_S = 30.0


def build_application(settings: Settings, pacer: SendPacer | None = None) -> Application:  # type: ignore[type-arg]
    """The bot; its sends paced in ``pacer`` (shared by every process on Redis), else in
    this process alone."""
    # Opt in to python-telegram-bot's coming time-period type now: otherwise every flood
    # control answer (RetryAfter) raises a deprecation warning as it is built.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    return (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .updater(None)
        .request(
            RetryingRequest(
                retries=settings.telegram_safe_retries,
                backoff_s=settings.telegram_retry_backoff_s,
                read_timeout=settings.telegram_read_timeout_s,
                # Under load a call waits for a free connection instead of failing after 1 s.
                connection_pool_size=BOT_API_CONNECTIONS,
                pool_timeout=BOT_API_POOL_WAIT_S,
            )
        )
        .rate_limiter(
            SharedPaceLimiter(
                pacer if pacer is not None else MemorySendPacer(),
                max_retries=settings.telegram_flood_retries,
                per_s=settings.telegram_messages_per_s,
                chat_per_s=settings.telegram_chat_messages_per_s,
                group_per_min=settings.telegram_group_messages_per_min,
            )
        )
        .build()
    )


async def _log_handler_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler_failed", update_id=update_id, error=repr(context.error))


def _lane(data: dict[str, Any]) -> str | None:
    """The chat an update comes from: its updates are handled one at a time."""
    message = data.get("message") or data.get("edited_message")
    if not isinstance(message, dict):
        query = data.get("callback_query")
        message = query.get("message") if isinstance(query, dict) else None
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return f"chat:{chat_id}" if type(chat_id) is int else None


class TelegramFrontend:
    """Implements ``orchestrator.frontend.Frontend`` for Telegram."""

    name = "telegram"

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self.application = build_application(settings, submitter.send_pacer)
        Handlers(settings, submitter).register(self.application)
        self._inline = InlineMode(settings, submitter, self.application.bot)
        self.application.add_handlers(self._inline.handlers())
        self.application.add_error_handler(_log_handler_error)
        self.submitter = submitter
        self.settings = settings
        self._secret = settings.telegram_webhook_secret.get_secret_value().encode()
        self._delivery = Delivery(self.application.bot)
        self._chat_actions = ChatActionBudget(settings.chat_actions_per_s)
        self._settings = settings
        self._started = False

    def router(self) -> None:
        """No FastAPI routes: the webhook is a plain ASGI endpoint (``endpoints``)."""
        return None

    def endpoints(self) -> dict[str, ASGIApp]:
        """``POST /telegram/webhook`` (``bot.webhook``), ahead of FastAPI's routing."""
        return {WEBHOOK_PATH: TelegramWebhook(self)}

    def secret_matches(self, presented: bytes | None) -> bool:
        """The webhook's secret token header, compared in constant time."""
        if presented is None:
            return False
        return hmac.compare_digest(presented, self._secret)

    async def accept_update(self, data: dict[str, Any]) -> bool:
        """Handle the update in the background, once across every process (its
        ``update_id`` is the mark); False for a repeat Telegram re-sent."""
        return await self.submitter.accept(
            f"update:{data['update_id']}", lambda: self.process_update(data), _lane(data)
        )

    # Updates come from the webhook and go straight to process_update, so the
    # application's own update fetcher (Application.start) is not needed.
    async def start(self) -> None:
        if self._started:
            return
        try:
            await self.application.initialize()  # getMe: learns the bot's username
            await set_menu_button(self.application.bot, self.settings)  # opens the Mini App
            if self._settings.telegram_set_menus:
                await menus.set_menus(self.application.bot, self._settings)
        except BaseException:  # not started: its connections are closed all the same
            await self.application.shutdown()
            raise
        self._started = True

    async def stop(self) -> None:
        if self._started:
            await self.application.shutdown()
            self._started = False

    async def process_update(self, data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # a payload Telegram would never send
            log.warning("unparseable_update", update_id=data.get("update_id"), error=repr(exc))
            return
        # The sender's language, read once: every text answering this update uses it.
        sender = sender_of(update)
        speaks = await language.resolve(self.submitter, update, sender.id if sender else None)
        # Every line logged while handling it (handlers, admission) names the update.
        with (
            structlog.contextvars.bound_contextvars(update_id=update.update_id),
            language.answering(update, speaks),
        ):
            await self.application.process_update(update)

    async def fetch_input_image(self, job: Job) -> bytes:
        return await self._delivery.fetch_input_image(job)

    async def show_progress(self, job: Job) -> None:
        """A chat action, within the process's budget (``bot.sending.chat_actions``), and the
        status message counting the seconds (``bot.sending.status``); neither for an
        inline job (its chat is not the bot's to act in)."""
        if job.inline_message_id is not None:
            return
        if self._chat_actions.take():
            await self._delivery.show_progress(job)
        await show_elapsed(self.application.bot, self.submitter, self._settings, job)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        if job.inline_message_id is not None:
            await self._inline.deliver(job, images)
        else:
            await self._delivery.deliver(job, images)
        try:
            await self.submitter.edit_history.record(job)
        except StateError as exc:  # delivered all the same; only /undo cannot find it
            log.warning("history_not_recorded", job_id=job.id, error=repr(exc))

    async def report_failure(self, job: Job, error: BaseException) -> None:
        try:
            if job.inline_message_id is not None:
                await self._inline.report_failure(job, error)
            else:
                await self._delivery.report_failure(job, error)
        finally:  # a refund needs no chat: a user who blocked the bot still gets it
            in_stars = stars.stars_of(self._settings, self.submitter)
            await stars.refund_failed(self.application.bot, in_stars, job)

    async def ping(self) -> bool:
        try:
            await self.application.bot.get_me(read_timeout=PING_TIMEOUT_S)
        except TelegramError as exc:
            log.warning("bot_api_unreachable", error=repr(exc))
            return False
        return True

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        """``orchestrator.payments.notices.PaymentNotifier``: what became of an invoice."""
        return await payments.notify(self.application.bot, notice)

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        if job.status_message_id is None:
            return
        if ahead is None:
            text = texts.text(status_key(job.kind), job.language)
        else:
            key = "status_queued_next" if ahead == 0 else "status_queued"
            if eta_s is None:
                text = texts.text(key, job.language, ahead=ahead)
            else:
                wait = texts.wait(eta_s, job.language)
                text = texts.text(f"{key}_eta", job.language, ahead=ahead, wait=wait)
        await self.application.bot.edit_message_text(
            text, job.chat_id, job.status_message_id, reply_markup=cancel_keyboard(job)
        )
