"""Telegram Stars in the chat: Stars invoices beside the Lightning ones (``/buy`` and a
parked job), the check before payment, the ``successful_payment`` credited once per
charge, the refund of a failed job paid in Stars, and ``/paysupport`` and ``/terms``, which
Telegram's payment rules require of a bot that sells.

The bookkeeping is the orchestrator's (``orchestrator.payments.stars``); this module only
speaks the Bot API: ``sendInvoice`` in ``XTR`` with no provider token, ``answerPreCheckoutQuery``
(Telegram cancels the payment unless it comes within 10 s: the check is a ledger read),
``refundStarPayment``. Registered only when payments are on and ``STARS_PER_CREDIT`` > 0.
"""

from __future__ import annotations

import structlog
from telegram import Bot, LabeledPrice, Message, Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import answers, texts
from bot.intake.identity import sender_of
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.service import PaymentService
from orchestrator.payments.stars import CURRENCY, StarsOrder, StarsPayments
from orchestrator.settings import Settings
from state.errors import StateError
from state.models import Job

log = structlog.get_logger(__name__)


def stars_on(settings: Settings) -> bool:
    return settings.payments_backend != "none" and settings.stars_per_credit > 0


def stars_of(settings: Settings, submitter: JobSubmitter) -> StarsPayments | None:
    """The Stars bookkeeping when payments are on and Stars priced; else None. Asked when
    needed: the payment service is built after the front ends."""
    payments = getattr(submitter, "payments", None)
    if not isinstance(payments, PaymentService) or not stars_on(settings):
        return None
    return StarsPayments(settings, payments)


async def send_stars_invoice(
    message: Message, stars: StarsPayments, order: StarsOrder, language: str | None
) -> None:
    """The Stars invoice for ``order``: Telegram draws its Pay button."""
    price = stars.stars_for(order.credits)
    kind = "stars_invoice_job" if order.invoice_id is not None else "stars_invoice_topup"
    await answers.at_least_once(
        lambda: message.reply_invoice(
            title=texts.text("stars_invoice_title", language, credits=order.credits),
            description=texts.text(kind, language, credits=order.credits, stars=price),
            payload=order.payload(),
            currency=CURRENCY,
            prices=[LabeledPrice(texts.text("stars_price_label", language), price)],
        )
    )


async def offer_topup(
    message: Message, stars: StarsPayments | None, account: int, credits: int, lang: str | None
) -> None:
    """``/buy``: the Stars invoice for the same credits, after the Lightning one."""
    if stars is not None:
        await send_stars_invoice(message, stars, stars.topup(account, credits), lang)


async def offer_for_job(
    message: Message, stars: StarsPayments | None, invoice_id: str, language: str | None
) -> None:
    """A parked job: pay its Lightning invoice, or the same in Stars."""
    if stars is None:
        return
    order = await stars.for_parked_job(invoice_id)
    if order is not None:
        await send_stars_invoice(message, stars, order, language)


async def refund_failed(bot: Bot, stars: StarsPayments | None, job: Job) -> None:
    """A job paid in Stars failed: refund them (``STARS_FAILED_JOB=refund``) and say so."""
    if stars is None:
        return

    async def refund(user_id: int, charge_id: str) -> None:
        await bot.refund_star_payment(user_id, charge_id)

    try:
        refunded = await stars.settle_failed(job, refund)
    except StateError as exc:
        log.error("stars_refund_unsettled", job_id=job.id, error=repr(exc))
        return
    if refunded:
        body = texts.text("stars_refunded", job.language, stars=refunded)
        await answers.at_least_once(lambda: bot.send_message(job.chat_id, body))


class StarsCommands:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    @property
    def _stars(self) -> StarsPayments | None:
        return stars_of(self._settings, self._submitter)

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        if not stars_on(self._settings):
            return []
        new = filters.UpdateType.MESSAGE
        return [
            PreCheckoutQueryHandler(self.pre_checkout),
            MessageHandler(filters.SUCCESSFUL_PAYMENT, self.paid),
            CommandHandler("paysupport", self.support, filters=new),
            CommandHandler("terms", self.terms, filters=new),
        ]

    async def pre_checkout(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, stars = update.pre_checkout_query, self._stars
        assert query is not None
        assert stars is not None
        language = language_of(update)
        try:
            ok = await stars.check(
                query.invoice_payload, query.from_user.id, query.currency, query.total_amount
            )
        except StateError as exc:
            log.error("stars_check_unavailable", error=repr(exc))
            await query.answer(False, texts.text("stars_checkout_unavailable", language))
            return
        if ok:
            await query.answer(True)
        else:
            log.info("stars_checkout_refused", payer=query.from_user.id)
            await query.answer(False, texts.text("stars_checkout_refused", language))

    async def paid(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, stars = update.effective_message, self._stars
        assert message is not None
        assert stars is not None
        payment = message.successful_payment
        payer = message.from_user
        if payment is None or payer is None:
            return
        charge = payment.telegram_payment_charge_id
        # Errors propagate: the update is handled again when Telegram re-sends it, and
        # crediting is idempotent by charge id.
        credit = await stars.credit(payment.invoice_payload, payer.id, charge)
        language = language_of(update)
        if credit is None:
            await answers.reply(message, texts.text("stars_payment_unknown", language))
        elif credit.credited and not credit.job_resumed:
            await answers.reply(
                message,
                texts.text(
                    "stars_credited", language, credits=credit.credits, balance=credit.balance
                ),
            )

    async def support(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None:
            return
        language = sender.language if sender else None
        contact = self._settings.payment_support_contact
        key = "paysupport_contact" if contact else "paysupport"
        await answers.reply(message, texts.text(key, language, contact=contact))

    async def terms(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None:
            return
        language = sender.language if sender else None
        stars = self._stars
        await answers.reply(
            message,
            texts.text(
                "terms",
                language,
                stars=stars.stars_for(100) if stars else 0,
                refund=texts.text(f"terms_failed_{self._settings.stars_failed_job}", language),
            ),
        )
