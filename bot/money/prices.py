"""Money as a person reads it: sats with the user's digit grouping, what they buy in
images, and the operator's currency when a rate is known ("1,000 sats ≈ 10 images ≈
$0.95"); and the price block that /start, /help and /balance show.

Numbers are formatted by Babel in the user's language (their Telegram ``language_code``,
English when Babel does not know it); the words around them come from the catalog."""

from __future__ import annotations

from functools import cache

import structlog
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal

from bot import texts
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.fiat import FiatRate
from orchestrator.payments.service import PaymentService
from orchestrator.settings import Settings
from state.errors import StateError
from state.models import JobKind

log = structlog.get_logger(__name__)


@cache
def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse(language or texts.DEFAULT_LANGUAGE, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(texts.DEFAULT_LANGUAGE)


class Shown(int):
    """A whole number that a text shows with the user's digit grouping; still a number, so
    it can pick a plural form."""

    shown: str

    def __new__(cls, value: int, language: str | None) -> Shown:
        made = super().__new__(cls, value)
        made.shown = str(format_decimal(value, locale=_locale(language)))
        return made

    def __format__(self, spec: str) -> str:
        return self.shown


def number(value: int, language: str | None) -> str:
    """``1000`` → ``1,000`` (English), ``1.000`` (German)."""
    return Shown(value, language).shown


def sats(value: int, language: str | None) -> str:
    """``1,000 sats``, ``1 sat``."""
    return texts.text("money_sats", language, sats=Shown(value, language))


def fiat(value: int, rate: FiatRate, language: str | None) -> str:
    """``value`` sats in the rate's currency: ``$0.95``, ``0,95 €``."""
    return str(format_currency(rate.of_sats(value), rate.currency, locale=_locale(language)))


def amount(value: int, rate: FiatRate | None, language: str | None) -> str:
    """``100 sats ≈ $0.09`` (sats alone without a rate)."""
    shown = sats(value, language)
    if rate is not None:
        shown += texts.text("money_approx", language, value=fiat(value, rate, language))
    return shown


def worth(value: int, per_image: int, rate: FiatRate | None, language: str | None) -> str:
    """``1,000 sats ≈ 10 images ≈ $0.95``: what ``value`` sats buy at ``per_image``."""
    shown = sats(value, language)
    images = value // per_image if per_image > 0 else 0
    if images:
        counted = texts.text("money_images", language, images=Shown(images, language))
        shown += texts.text("money_approx", language, value=counted)
    if rate is not None:
        shown += texts.text("money_approx", language, value=fiat(value, rate, language))
    return shown


def image_price(submitter: JobSubmitter, settings: Settings, kind: JobKind) -> int:
    """One image of the kind's default model: the catalog's price, else the setting."""
    entry = submitter.catalog.default_for(kind.value)
    if entry is not None:
        return entry.price_sats
    return settings.price_edit_sats if kind is JobKind.EDIT else settings.price_generate_sats


async def rate_of(payments: PaymentService) -> FiatRate | None:
    """The operator's currency rate now, or None (none configured, or the source fails)."""
    return await payments.fiat.rate()


async def free_left(payments: PaymentService, user_id: int) -> int | None:
    """Free images left today; None when the state store cannot say."""
    try:
        return await payments.free_left(user_id)
    except StateError as exc:
        log.warning("free_allowance_unread", error=repr(exc))
        return None


async def prices_text(
    settings: Settings, submitter: JobSubmitter, user_id: int | None, language: str | None
) -> str:
    """The price block /start and /help end with ("" when payments are off): what an image
    costs and, with a free allowance, how many free images are left today."""
    payments = submitter.payments
    if settings.payments_backend == "none" or not isinstance(payments, PaymentService):
        return ""
    rate = await rate_of(payments)
    generate = image_price(submitter, settings, JobKind.GENERATE)
    edit = image_price(submitter, settings, JobKind.EDIT)
    text = texts.text(
        "help_prices",
        language,
        generate=amount(generate, rate, language),
        edit=amount(edit, rate, language),
    )
    if user_id is not None and user_id in settings.admin_user_ids and not settings.admins_pay:
        return text + texts.text("help_prices_admin", language)
    per_day = settings.free_generations_per_day
    left = await free_left(payments, user_id) if user_id is not None and per_day else None
    if left is not None:
        text += texts.text("help_free_left", language, left=left, free=per_day)
    return text
