"""Refusals of the payment admission step; the front end turns them into words."""

from __future__ import annotations

from fulmine.errors import Refusal
from providers.payments.base import Invoice


class PaymentRefusal(Refusal):
    """Base class: the job was not admitted for a reason of payment."""


class PaymentRequired(PaymentRefusal):
    """The balance is short: the job is parked until ``invoice`` (for ``missing_sats``) is
    paid, then runs by itself. ``price_sats`` is the price of its ``images`` before the
    free allowance; ``free_units`` free images and ``held_sats`` of credit are held for it;
    ``balance_sats`` is what is left available."""

    def __init__(
        self,
        invoice: Invoice,
        price_sats: int,
        missing_sats: int,
        balance_sats: int,
        *,
        free_units: int = 0,
        held_sats: int = 0,
        images: int = 1,
    ) -> None:
        super().__init__(f"payment required: {missing_sats} of {price_sats} sats missing")
        self.invoice = invoice
        self.price_sats = price_sats
        self.missing_sats = missing_sats
        self.balance_sats = balance_sats
        self.free_units = free_units
        self.held_sats = held_sats
        self.images = images


class CreditShort(PaymentRefusal):
    """The balance is short and the request has nowhere to show an invoice (an inline
    message): refused, nothing taken, nothing parked; the user tops up first."""

    def __init__(self, price_sats: int, missing_sats: int, balance_sats: int) -> None:
        super().__init__(f"credit short: {missing_sats} of {price_sats} sats missing")
        self.price_sats = price_sats
        self.missing_sats = missing_sats
        self.balance_sats = balance_sats


class PaymentsUnavailable(PaymentRefusal):
    """The payment backend could not issue an invoice (down, or refusing): nothing taken."""

    def __init__(self, backend: str) -> None:
        super().__init__(f"payment backend {backend} unavailable")
        self.backend = backend
