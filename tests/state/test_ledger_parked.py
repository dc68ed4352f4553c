"""The ``Ledger.parked_reservations`` contract of ``state/base.py``, over memory and a real
Redis: parked holds are found by when they were parked, until completed or released."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from state.base import Ledger
from state.errors import InsufficientCredits
from state.models import Balance, HeldReservation

DAY = dt.date(2026, 11, 23)


async def _park(ledger: Ledger, user_id: int, job_id: str, units: int) -> None:
    with pytest.raises(InsufficientCredits):
        await ledger.reserve(user_id, job_id, units, 100, 1, DAY, park=True)


def _seen(found: list[HeldReservation]) -> list[tuple[str, int, int]]:
    return [(held.job_id, held.user_id, held.sats) for held in found]


async def test_parked_holds_are_listed_oldest_first_with_what_they_hold(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 150)
    await _park(ledger, 1, "job-a", 3)  # 1 free, 200 sats: all 150 held
    await _park(ledger, 2, "job-b", 2)  # nothing to hold but its free unit
    assert await ledger.parked_reservations(60) == []  # none that old
    await asyncio.sleep(0.3)
    found = await ledger.parked_reservations(0.2)
    assert _seen(found) == [("job-a", 1, 150), ("job-b", 2, 0)]
    assert all(0.2 <= held.age_s < 30 for held in found)
    assert _seen(await ledger.parked_reservations(0.2, limit=1)) == [("job-a", 1, 150)]
    await _park(ledger, 1, "job-c", 2)
    assert [held.job_id for held in await ledger.parked_reservations(0.2)] == ["job-a", "job-b"]
    assert await ledger.held_reservations(0) == []  # not the sweep of abandoned reservations


async def test_a_parked_hold_keeps_its_age_until_completed_or_released(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 150)
    await _park(ledger, 1, "job-a", 3)
    await _park(ledger, 1, "job-b", 1)  # 1 free unit would cover it: none left today
    await asyncio.sleep(0.3)
    await _park(ledger, 1, "job-a", 3)  # still short: parked as it was, since then
    assert [held.job_id for held in await ledger.parked_reservations(0.2)] == ["job-a", "job-b"]
    assert await ledger.capture("job-a") is None  # a parked hold is not captured
    assert len(await ledger.parked_reservations(0.2)) == 2

    await ledger.credit(1, "paid", 50)
    await ledger.reserve(1, "job-a", 3, 100, 1, DAY)  # complete: a reservation now
    assert [held.job_id for held in await ledger.parked_reservations(0)] == ["job-b"]
    assert [held.job_id for held in await ledger.held_reservations(0)] == ["job-a"]
    assert await ledger.release("job-b") is True
    assert await ledger.parked_reservations(0) == []
    assert await ledger.release("job-a") is True
    assert await ledger.balance(1) == Balance(200, 0, 0)
    assert await ledger.free_used(1, DAY) == 0


async def test_a_job_reserved_whole_is_never_parked(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 500)
    await ledger.reserve(1, "job-a", 2, 100, 0, DAY, park=True)
    assert await ledger.parked_reservations(0) == []
    assert [held.job_id for held in await ledger.held_reservations(0)] == ["job-a"]
