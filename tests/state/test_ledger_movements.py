"""The ``Ledger.movements`` contract of ``state/base.py``, over memory and a real Redis:
each account's credits, charges and transfers, newest first, bounded."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from state.base import Ledger
from state.errors import InsufficientCredits
from state.models import Movement

DAY = dt.date(2026, 11, 23)


def _seen(movements: list[Movement]) -> list[tuple[str, int, str, int]]:
    return [(m.kind, m.sats, m.key, m.images) for m in movements]


async def test_credits_and_charges_newest_first(ledger: Ledger) -> None:
    before = time.time() - 5
    await ledger.credit(1, "invoice:a", 500)
    await ledger.credit(1, "invoice:a", 500)  # a repeat moves nothing
    await ledger.reserve(1, "job-1", 2, 100, 0, DAY)
    await ledger.capture("job-1", 1)  # one image of two delivered: 100 charged
    await ledger.reserve(1, "job-2", 1, 100, 0, DAY)
    await ledger.release("job-2")  # failed: nothing spent
    await ledger.reserve(1, "job-3", 1, 100, 1, DAY)
    await ledger.capture("job-3")  # free: nothing spent
    moves = await ledger.movements(1)
    assert _seen(moves) == [("capture", 100, "job-1", 1), ("credit", 500, "invoice:a", 0)]
    assert all(before <= m.at <= time.time() + 5 for m in moves)
    assert moves[0].at >= moves[1].at
    assert await ledger.movements(2) == []
    assert await ledger.movements(1, 1) == moves[:1]
    assert await ledger.movements(1, 0) == []


async def test_transfers_are_on_both_accounts(ledger: Ledger) -> None:
    await ledger.credit(1, "invoice:a", 300)
    await ledger.transfer(1, -100, "fund:x", 200)
    await ledger.transfer(1, -100, "fund:x", 200)  # a repeat moves nothing
    with pytest.raises(InsufficientCredits):
        await ledger.transfer(1, -100, "fund:y", 500)  # refused: moves nothing
    assert _seen(await ledger.movements(1)) == [
        ("transfer_out", 200, "fund:x", 0),
        ("credit", 300, "invoice:a", 0),
    ]
    assert _seen(await ledger.movements(-100)) == [("transfer_in", 200, "fund:x", 0)]


async def test_movements_are_bounded_per_account(ledger: Ledger) -> None:
    kept = Ledger.MOVEMENTS_KEPT
    for n in range(kept + 5):
        await ledger.credit(7, f"invoice:{n}", n + 1)
    moves = await ledger.movements(7, kept + 50)
    assert len(moves) == kept
    assert moves[0].key == f"invoice:{kept + 4}"
    assert moves[-1].key == "invoice:5"
