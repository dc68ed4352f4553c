"""Why no invoice could be made for a top-up (``/buy``) or a pool (``/fund``): too many
open or asked for too fast, payments down, or the state store unreachable."""

from __future__ import annotations

import math

import structlog
from telegram import Message

from bot import answers, texts
from orchestrator.payments.errors import PaymentRefusal
from orchestrator.payments.invoices import OPEN_TOPUPS_SCOPE
from orchestrator.settings import Settings
from state.errors import RateLimited, StateError

log = structlog.get_logger(__name__)

INVOICE_NOT_MADE = (RateLimited, PaymentRefusal, StateError)


async def refuse_invoice(
    message: Message, settings: Settings, error: Exception, language: str | None, event: str
) -> None:
    """Why no invoice was made for a top-up or a pool (one of :data:`INVOICE_NOT_MADE`),
    told to the sender and logged as ``event``."""
    if isinstance(error, RateLimited):
        log.info(event, reason="rate_limited", scope=error.scope)
        text = topup_refusal_text(settings, error, language)
    elif isinstance(error, PaymentRefusal):
        log.info(event, reason="payments_unavailable")
        text = texts.text("payments_unavailable", language)
    else:
        log.error(event, reason="state_unavailable", error=repr(error))
        text = texts.text("state_unavailable", language)
    await answers.reply(message, text)


def topup_refusal_text(settings: Settings, refusal: RateLimited, language: str | None) -> str:
    """Too many top-up invoices (``/buy``, ``/fund``): for how long."""
    minutes = max(1, math.ceil(refusal.retry_after_s / 60))
    if refusal.scope == OPEN_TOPUPS_SCOPE:
        count = settings.topup_open_invoices_max
        return texts.text("buy_too_many_open", language, count=count, minutes=minutes)
    return texts.text("buy_rate_limited", language, minutes=minutes)
