"""Payments in the chat: ``/balance``, ``/buy [sats]``, invoices (the QR code, whose
caption links ``lightning:`` + BOLT11 for a wallet on the same device, then the BOLT11
alone in monospace, copied with a tap) and the payment service's notices.

Telegram opens only http(s) and tg:// URLs from buttons, so the ``lightning:`` link is a
text link in the caption; the QR code carries it too.

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
from telegram import Bot, InputFile, Message, MessageEntity, ReplyParameters, Update
from telegram.constants import MessageEntityType
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.identity import sender_of
from bot.intake.private_answers import open_link, say_privately
from bot.intake.user_input import parse_number, quoted
from bot.money import prices, stars
from bot.money.refusals import INVOICE_NOT_MADE, refuse_invoice
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.errors import PaymentRefusal, PaymentRequired
from orchestrator.payments.notices import NoticeKind, PaymentNotice
from orchestrator.payments.service import PaymentService
from orchestrator.payments.stars import StarsPayments
from orchestrator.settings import Settings
from providers.payments.base import Invoice
from state.errors import StateError
from state.models import JobKind

log = structlog.get_logger(__name__)

MAX_TOPUP_SATS = 1_000_000  # the smallest is one image (the default generate model's price)
EXPIRED_PROMPT_CHARS = 60  # an expired invoice names its request by this much of the prompt
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


def _minutes(settings: Settings) -> int:
    return max(1, math.ceil(settings.invoice_expiry_s / 60))


def minutes_left(invoice: Invoice) -> int:
    """Until the invoice expires (a top-up invoice shown again has less than its expiry)."""
    left_s = (invoice.expires_at - datetime.now(UTC)).total_seconds()
    return max(1, math.ceil(left_s / 60))


def _utf16(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _with_wallet_link(
    caption: str, invoice: Invoice, language: str | None
) -> tuple[str, MessageEntity]:
    """The caption ending in a link that opens the invoice in a Lightning wallet."""
    link = texts.text("invoice_wallet_link", language)
    caption = f"{caption}\n\n"
    wallet = MessageEntity(
        MessageEntityType.TEXT_LINK,
        _utf16(caption),
        _utf16(link),
        url=f"lightning:{invoice.bolt11}",
    )
    return caption + link, wallet


async def send_invoice(
    message: Message, invoice: Invoice, caption: str, language: str | None
) -> None:
    """The QR code with what it is for and a ``lightning:`` link, then the BOLT11 alone in
    monospace (a tap copies it)."""
    png = await asyncio.to_thread(qr_png, invoice.bolt11)
    caption, wallet = _with_wallet_link(caption, invoice, language)
    await message.reply_photo(
        InputFile(png, filename="invoice.png"), caption=caption, caption_entities=[wallet]
    )
    code = MessageEntity(MessageEntityType.CODE, 0, _utf16(invoice.bolt11))
    await answers.reply(message, invoice.bolt11, entities=[code])


async def send_invoice_to(
    bot: Bot, chat_id: int, invoice: Invoice, caption: str, language: str | None
) -> None:
    """:func:`send_invoice` as new messages in ``chat_id`` (a member's private chat)."""
    png = await asyncio.to_thread(qr_png, invoice.bolt11)
    caption, wallet = _with_wallet_link(caption, invoice, language)
    await bot.send_photo(
        chat_id,
        InputFile(png, filename="invoice.png"),
        caption=caption,
        caption_entities=[wallet],
    )
    code = MessageEntity(MessageEntityType.CODE, 0, _utf16(invoice.bolt11))
    await answers.at_least_once(lambda: bot.send_message(chat_id, invoice.bolt11, entities=[code]))


async def answer_refusal(
    update: Update,
    refusal: PaymentRefusal,
    settings: Settings,
    language: str | None,
    in_stars: StarsPayments | None = None,
    payments: PaymentService | None = None,
) -> None:
    """The handler's answer to a job the payment step did not admit (with Stars on, the
    same payment in Stars follows the Lightning invoice)."""
    message = update.effective_message
    assert message is not None
    if not isinstance(refusal, PaymentRequired):
        await answers.reply(message, texts.text("payments_unavailable", language))
        return
    rate = await prices.rate_of(payments) if payments is not None else None
    price = prices.amount(refusal.price_sats, rate, language)
    caption = texts.text("payment_invoice", language, images=refusal.images, price=price)
    if refusal.free_units:
        caption += texts.text("payment_invoice_free", language, n=refusal.free_units)
    if refusal.held_sats:
        credit = prices.sats(refusal.held_sats, language)
        caption += texts.text("payment_invoice_credit", language, credit=credit)
    caption += texts.text(
        "payment_invoice_pay",
        language,
        amount=prices.amount(refusal.missing_sats, rate, language),
        minutes=_minutes(settings),
    )
    await send_invoice(message, refusal.invoice, caption, language)
    await stars.offer_for_job(message, in_stars, refusal.invoice.id, language)


def _shortened(prompt: str) -> str:
    if len(prompt) <= EXPIRED_PROMPT_CHARS:
        return prompt
    return prompt[: EXPIRED_PROMPT_CHARS - 1].rstrip() + "…"


async def notify(bot: Bot, notice: PaymentNotice) -> int | None:
    """Tell the user what became of an invoice; the message id sent."""
    key = NOTICE_TEXTS[notice.kind]
    fields: dict[str, str] = {
        "amount": prices.number(notice.amount_sats, notice.language),
        "balance": prices.number(notice.balance_sats, notice.language),
    }
    if notice.kind is NoticeKind.EXPIRED and notice.prompt:
        key, fields["prompt"] = "payment_expired_request", _shortened(notice.prompt)
    body = texts.text(key, notice.language, **fields)
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
        """Credits (and what they buy), free images left today, what is held; privately."""
        message, user = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or user is None or payments is None:
            return
        language = user.language
        try:
            balance = await payments.balance(user.id)
            free_left = await payments.free_left(user.id)
        except StateError as exc:
            log.error("balance_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        rate = await prices.rate_of(payments)
        per_image = prices.image_price(self._submitter, self._settings, JobKind.GENERATE)
        credits = prices.worth(balance.available_sats, per_image, rate, language)
        text = texts.text("balance", language, credits=credits)
        if self._settings.free_generations_per_day:
            per_day = self._settings.free_generations_per_day
            text += texts.text("balance_free", language, left=free_left, free=per_day)
        if balance.reserved_sats or balance.held_free_units:
            held = prices.sats(balance.reserved_sats, language)
            if balance.held_free_units:
                free = texts.text("money_free_images", language, n=balance.held_free_units)
                held = texts.text("money_and", language, first=held, second=free)
            text += texts.text("balance_held", language, held=held)
        text += await prices.prices_text(self._settings, self._submitter, user.id, language)
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
        sats = await self._amount(message, args, language)
        if sats is None:
            return
        try:
            topup = await payments.create_topup(user.id, message.chat_id, sats, language)
        except INVOICE_NOT_MADE as exc:
            await refuse_invoice(message, self._settings, exc, language, "topup_refused")
            return
        rate = await prices.rate_of(payments)
        per_image = prices.image_price(self._submitter, self._settings, JobKind.GENERATE)
        key = "payment_topup_invoice_again" if topup.reused else "payment_topup_invoice"
        caption = texts.text(
            key,
            language,
            amount=prices.worth(sats, per_image, rate, language),
            minutes=minutes_left(topup.invoice),
        )
        await send_invoice(message, topup.invoice, caption, language)
        in_stars = stars.stars_of(self._settings, self._submitter)
        await stars.offer_topup(message, in_stars, user.id, sats, language)

    async def _amount(self, message: Message, args: list[str], language: str | None) -> int | None:
        """The amount /buy asks for, or None after saying exactly what is wrong with it:
        not a number, less than one image, more than one top-up takes."""
        least = prices.image_price(self._submitter, self._settings, JobKind.GENERATE)
        default = DEFAULT_TOPUP_IMAGES * least
        bounds = {
            "default": prices.number(default, language),
            "min": prices.number(least, language),
            "max": prices.number(MAX_TOPUP_SATS, language),
        }
        if not args:
            return default
        sats = parse_number(args[0]) if len(args) == 1 else None
        if sats is None:
            given = quoted(" ".join(args))
            await answers.reply(
                message, texts.text("buy_not_a_number", language, value=given, **bounds)
            )
            return None
        if not least <= sats <= MAX_TOPUP_SATS:
            key = "buy_too_small" if sats < least else "buy_too_big"
            amount = prices.number(sats, language)  # at most MAX_DIGITS digits
            await answers.reply(message, texts.text(key, language, amount=amount, **bounds))
            return None
        return sats
