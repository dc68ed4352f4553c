"""An account's money history, read from a real ledger's movements."""

from __future__ import annotations

import datetime as dt

from orchestrator.payments.history import MAX_EVENTS, account_history
from orchestrator.payments.refunds import REFUND_PREFIX
from state.ledger_memory import MemoryLedger

DAY = dt.date(2026, 11, 23)


async def test_topups_charges_refunds_and_pool_moves_newest_first() -> None:
    ledger = MemoryLedger()
    await ledger.credit(1, "invoice:a", 1000)
    await ledger.reserve(1, "job-1", 2, 100, 0, DAY)
    await ledger.capture("job-1", 2)
    await ledger.reserve(1, "job-2", 1, 100, 0, DAY)
    await ledger.release("job-2")  # failed: never charged, not in the history
    await ledger.transfer(1, -5, "fund:x", 300)
    await ledger.reserve(1, REFUND_PREFIX + "hash", 1, 500, 0, DAY)
    await ledger.capture(REFUND_PREFIX + "hash")
    events = await account_history(ledger, 1)
    assert [(e.kind, e.sats, e.images) for e in events] == [
        ("refund", -500, 0),
        ("pool_out", -300, 0),
        ("charge", -200, 2),
        ("topup", 1000, 0),
    ]
    assert [(e.kind, e.sats) for e in await account_history(ledger, -5)] == [("pool_in", 300)]
    assert len(await account_history(ledger, 1, 2)) == 2


async def test_history_is_bounded() -> None:
    ledger = MemoryLedger()
    for n in range(MAX_EVENTS + 10):
        await ledger.credit(1, f"invoice:{n}", 1)
    assert len(await account_history(ledger, 1, 10_000)) == MAX_EVENTS
    assert await account_history(ledger, 1, -1) == []
