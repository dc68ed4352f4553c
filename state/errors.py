"""Errors of the state store and its refusals, in the tree of :mod:`fulmine.errors`."""

from __future__ import annotations

from fulmine.errors import Failure, Refusal


class StateError(Failure):
    """The state store could not complete an operation."""


class StateUnavailable(StateError):
    """The backing store (Redis) cannot be reached."""


class RateLimited(Refusal):
    """A request was refused by a limit; ``retry_after_s`` says when one will fit again.

    ``scope`` names the limit that refused it: the :attr:`state.base.Limit.scope` of a
    window (e.g. ``"user"``, ``"chat"``, ``"topup"``), :data:`BUSY_SCOPE` for the global cap
    on jobs in flight, or a cap of the payment service's own (``"topup_open"``: open top-up
    invoices of a user; ``"payment_webhooks"``: webhooks checked with the backend a second).
    """

    def __init__(self, scope: str, retry_after_s: float) -> None:
        super().__init__(f"rate limited ({scope}); retry after {retry_after_s:.1f} s")
        self.scope = scope
        self.retry_after_s = retry_after_s


BUSY_SCOPE = "busy"


class InsufficientCredits(Refusal):
    """A reservation was refused: the balance is ``missing_sats`` short. Nothing was taken,
    unless the reservation was parked (``Ledger.reserve(..., park=True)``): then
    ``free_units`` of the day's allowance and ``held_sats`` of credit are held for it."""

    def __init__(
        self, user_id: int, missing_sats: int, free_units: int = 0, held_sats: int = 0
    ) -> None:
        super().__init__(f"user {user_id} is {missing_sats} sats short")
        self.user_id = user_id
        self.missing_sats = missing_sats
        self.free_units = free_units
        self.held_sats = held_sats
