"""Payments in the chat: ``/balance``, ``/buy [sats]``, invoices (the BOLT11 as
text to copy and as a QR code) and the payment service's notices.

Only registered when ``PAYMENTS_BACKEND`` is not ``none``; otherwise every image is free and
these commands are unknown, as before.
"""

from __future__ import annotations

import asyncio
import io
import math
from datetime import UTC, datetime

import segno
import structlog
from telegram import Bot, InputFile, Message, ReplyParameters, Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.identity import sender_of
from bot.intake.private_answers import open_link, say_privately
from bot.intake.user_input import parse_number
from bot.money import stars
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.errors import PaymentRefusal, PaymentRequired
from orchestrator.payments.invoices import OPEN_TOPUPS_SCOPE
from orchestrator.payments.notices import NoticeKind, PaymentNotice
from orchestrator.payments.service import PaymentService
from orchestrator.payments.stars import StarsPayments
from orchestrator.settings import Settings
from providers.payments.base import Invoice
from state.errors import RateLimited, StateError

log = structlog.get_logger(__name__)

MIN_TOPUP_SATS = 1
MAX_TOPUP_SATS = 1_000_000
DEFAULT_TOPUP_IMAGES = 10  # /buy alone: enough for ten generated images
NOTICE_TEXTS = {
    NoticeKind.JOB_PAID: "payment_job_paid",
    NoticeKind.TOPUP_CREDITED: "payment_topup_credited",
    NoticeKind.EXPIRED: "payment_expired",
    NoticeKind.STILL_SHORT: "payment_still_short",
    NoticeKind.POOL_FUNDED: "fund_invoice_paid",
    NoticeKind.POOL_EXPIRED: "fund_invoice_expired",
}
# A balance, or an invoice sent in private: never in a group.
PRIVATE_NOTICES = frozenset(
    {NoticeKind.TOPUP_CREDITED, NoticeKind.STILL_SHORT, NoticeKind.POOL_EXPIRED}
)


def payments_of(submitter: JobSubmitter) -> PaymentService | None:
    payments = getattr(submitter, "payments", None)
    return payments if isinstance(payments, PaymentService) else None


def qr_png(bolt11: str) -> bytes:
    """A QR code wallets scan; upper case fits BOLT11 into QR's compact alphanumeric mode."""
    buffer = io.BytesIO()
    segno.make(f"LIGHTNING:{bolt11.upper()}", error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def prices_text(settings: Settings, language: str | None) -> str:
    """The line /help adds when payments are on ("" when they are off)."""
    if settings.payments_backend == "none":
        return ""
    return texts.text(
        "help_prices",
        language,
        generate=settings.price_generate_sats,
        edit=settings.price_edit_sats,
        free=settings.free_generations_per_day,
    )


def _minutes(settings: Settings) -> int:
    return max(1, math.ceil(settings.invoice_expiry_s / 60))


def minutes_left(invoice: Invoice) -> int:
    """Until the invoice expires (a top-up invoice shown again has less than its expiry)."""
    left_s = (invoice.expires_at - datetime.now(UTC)).total_seconds()
    return max(1, math.ceil(left_s / 60))


async def send_invoice(message: Message, invoice: Invoice, caption: str) -> None:
    """The QR code with what it is for, then the BOLT11 alone, easy to copy."""
    png = await asyncio.to_thread(qr_png, invoice.bolt11)
    await message.reply_photo(InputFile(png, filename="invoice.png"), caption=caption)
    await answers.reply(message, invoice.bolt11)


async def send_invoice_to(bot: Bot, chat_id: int, invoice: Invoice, caption: str) -> None:
    """:func:`send_invoice` as new messages in ``chat_id`` (a member's private chat)."""
    png = await asyncio.to_thread(qr_png, invoice.bolt11)
    await bot.send_photo(chat_id, InputFile(png, filename="invoice.png"), caption=caption)
    await answers.at_least_once(lambda: bot.send_message(chat_id, invoice.bolt11))


def topup_refusal_text(settings: Settings, refusal: RateLimited, language: str | None) -> str:
    """Too many top-up invoices (``/buy``, ``/fund``): for how long."""
    minutes = max(1, math.ceil(refusal.retry_after_s / 60))
    if refusal.scope == OPEN_TOPUPS_SCOPE:
        count = settings.topup_open_invoices_max
        return texts.text("buy_too_many_open", language, count=count, minutes=minutes)
    return texts.text("buy_rate_limited", language, minutes=minutes)


async def answer_refusal(
    update: Update,
    refusal: PaymentRefusal,
    settings: Settings,
    language: str | None,
    in_stars: StarsPayments | None = None,
) -> None:
    """The handler's answer to a job the payment step did not admit (with Stars on, the
    same payment in Stars follows the Lightning invoice)."""
    message = update.effective_message
    assert message is not None
    if not isinstance(refusal, PaymentRequired):
        await answers.reply(message, texts.text("payments_unavailable", language))
        return
    caption = texts.text(
        "payment_invoice",
        language,
        price=refusal.price_sats,
        balance=refusal.balance_sats,
        amount=refusal.missing_sats,
        minutes=_minutes(settings),
    )
    await send_invoice(message, refusal.invoice, caption)
    await stars.offer_for_job(message, in_stars, refusal.invoice.id, language)


async def notify(bot: Bot, notice: PaymentNotice) -> int | None:
    """Tell the user what became of an invoice; the message id sent."""
    body = texts.text(
        NOTICE_TEXTS[notice.kind],
        notice.language,
        amount=notice.amount_sats,
        balance=notice.balance_sats,
    )
    reply = (
        ReplyParameters(notice.reply_to_message_id, allow_sending_without_reply=True)
        if notice.reply_to_message_id is not None
        else None
    )
    if notice.chat_id < 0 and notice.kind in PRIVATE_NOTICES:  # a balance: never in a group
        try:
            private = await answers.at_least_once(lambda: bot.send_message(notice.user_id, body))
            return private.message_id
        except Forbidden:  # the user never started the bot: the group learns how to
            body = texts.text("private_chat_needed", notice.language, link=open_link(bot))
    sent = await answers.at_least_once(
        lambda: bot.send_message(notice.chat_id, body, reply_parameters=reply)
    )
    return sent.message_id


class PaymentCommands:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        if self._settings.payments_backend == "none":
            return []
        new = filters.UpdateType.MESSAGE
        return [
            CommandHandler("balance", self.balance, filters=new),
            CommandHandler("buy", self.buy, filters=new),
        ]

    async def balance(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or user is None or payments is None:
            return
        language = user.language
        try:
            balance = await payments.balance(user.id)
        except StateError as exc:
            log.error("balance_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        text = texts.text(
            "balance", language, available=balance.available_sats, reserved=balance.reserved_sats
        ) + prices_text(self._settings, language)
        await say_privately(update, context.bot, text)  # a balance is never posted in a group

    async def buy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.topup(update, context.bot, context.args or [])

    async def topup(self, update: Update, bot: Bot, args: list[str]) -> None:
        """``/buy`` with ``args`` (also the ``buy`` deep link's, with none)."""
        message, user = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or user is None or payments is None:
            return
        language = user.language
        if message.chat.type != message.chat.PRIVATE and not user.is_chat:  # a person's own
            link = open_link(bot)
            await answers.reply(message, texts.text("buy_in_private", language, link=link))
            return
        default = DEFAULT_TOPUP_IMAGES * self._settings.price_generate_sats
        sats = parse_number(args[0]) if len(args) == 1 else None
        if args == []:
            sats = default
        if sats is None or not MIN_TOPUP_SATS <= sats <= MAX_TOPUP_SATS:
            await answers.reply(
                message, texts.text("buy_usage", language, default=default, max=MAX_TOPUP_SATS)
            )
            return
        try:
            topup = await payments.create_topup(user.id, message.chat_id, sats, language)
        except RateLimited as exc:
            await answers.reply(message, topup_refusal_text(self._settings, exc, language))
            log.info("topup_refused", scope=exc.scope, user_id=user.id)
            return
        except PaymentRefusal:
            await answers.reply(message, texts.text("payments_unavailable", language))
            return
        except StateError as exc:
            log.error("topup_not_recorded", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        key = "payment_topup_invoice_again" if topup.reused else "payment_topup_invoice"
        caption = texts.text(key, language, amount=sats, minutes=minutes_left(topup.invoice))
        await send_invoice(message, topup.invoice, caption)
        in_stars = stars.stars_of(self._settings, self._submitter)
        await stars.offer_topup(message, in_stars, user.id, sats, language)
