"""An account's money history as a user reads it: top-ups, charges for delivered images,
refunds paid out and moves to and from a group's pool, newest first, from the ledger's
movements (``state.base.Ledger.movements``).

A job that failed or delivered nothing was never charged (its reservation was released), so
it is not in the history; nor are free images (they cost no sats)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestrator.payments.refunds import REFUND_PREFIX
from orchestrator.payments.stars import REFUND_PREFIX as STARS_REFUND_PREFIX
from state.base import Ledger
from state.models import Movement

EventKind = Literal["topup", "charge", "refund", "pool_out", "pool_in"]
MAX_EVENTS = 50


@dataclass(frozen=True, slots=True)
class AccountEvent:
    kind: EventKind
    sats: int  # signed: positive into the account, negative out of it
    at: float  # Unix time
    images: int = 0  # a charge's delivered images


def _event(movement: Movement) -> AccountEvent:
    sats, at = movement.sats, movement.at
    if movement.kind == "credit":
        return AccountEvent("topup", sats, at)
    if movement.kind == "transfer_out":
        return AccountEvent("pool_out", -sats, at)
    if movement.kind == "transfer_in":
        return AccountEvent("pool_in", sats, at)
    if movement.key.startswith((REFUND_PREFIX, STARS_REFUND_PREFIX)):
        return AccountEvent("refund", -sats, at)
    return AccountEvent("charge", -sats, at, movement.images)


async def account_history(
    ledger: Ledger, user_id: int, limit: int = MAX_EVENTS
) -> list[AccountEvent]:
    """The account's latest events, newest first, at most ``limit`` (and ``MAX_EVENTS``)."""
    movements = await ledger.movements(user_id, max(0, min(limit, MAX_EVENTS)))
    return [_event(movement) for movement in movements]
