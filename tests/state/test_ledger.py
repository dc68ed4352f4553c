"""The ``Ledger`` contract of ``state/base.py``, over memory and a real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from state.base import Ledger
from state.errors import InsufficientCredits
from state.models import Balance, Capture, PendingInvoice

DAY = dt.date(2026, 11, 23)


async def test_credit_applies_once_per_key(ledger: Ledger) -> None:
    assert await ledger.credit(1, "inv-a", 300) is True
    assert await ledger.credit(1, "inv-a", 300) is False
    assert await ledger.credit(1, "inv-b", 50) is True
    assert await ledger.balance(1) == Balance(350, 0)
    assert await ledger.balance(2) == Balance(0, 0)


async def test_reserve_capture_release_apply_once(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 500)
    first = await ledger.reserve(1, "job-1", 2, 100, 0, DAY)
    again = await ledger.reserve(1, "job-1", 2, 100, 0, DAY)
    assert (first.sats, again.sats) == (200, 200)
    assert await ledger.balance(1) == Balance(300, 200)
    assert await ledger.capture("job-1") == Capture(200, 2)
    assert await ledger.capture("job-1") is None
    assert await ledger.release("job-1") is False  # captured: too late to give back
    assert await ledger.balance(1) == Balance(300, 0)
    await ledger.reserve(1, "job-2", 1, 100, 0, DAY)
    assert await ledger.release("job-2") is True
    assert await ledger.release("job-2") is False
    assert await ledger.capture("job-2") is None
    assert await ledger.reserve(1, "job-2", 1, 100, 0, DAY) is not None  # no second take
    assert await ledger.balance(1) == Balance(300, 0)
    assert await ledger.capture("unknown") is None


async def test_reserve_refuses_to_overdraw_and_takes_nothing(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 150)
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.reserve(1, "job-1", 2, 100, 0, DAY)
    assert refused.value.missing_sats == 50
    assert await ledger.balance(1) == Balance(150, 0)
    assert await ledger.release("job-1") is False


async def test_free_allowance_first_and_given_back_on_release(ledger: Ledger) -> None:
    free = await ledger.reserve(1, "job-1", 1, 100, 2, DAY)
    assert (free.sats, free.free_units) == (0, 1)
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.reserve(1, "job-2", 2, 100, 2, DAY)  # one free left, one to pay
    assert refused.value.missing_sats == 100
    await ledger.credit(1, "inv", 100)
    mixed = await ledger.reserve(1, "job-2", 2, 100, 2, DAY)
    assert (mixed.sats, mixed.free_units) == (100, 1)
    assert await ledger.release("job-1") is True
    again = await ledger.reserve(1, "job-3", 1, 100, 2, DAY)
    assert again.free_units == 1
    assert (await ledger.reserve(1, "job-4", 1, 100, 2, DAY + dt.timedelta(days=1))).sats == 0


async def test_concurrent_reserves_never_overdraw(ledger: Ledger) -> None:
    await ledger.credit(7, "inv", 1000)
    results = await asyncio.gather(
        *(ledger.reserve(7, f"job-{i}", 1, 100, 0, DAY) for i in range(40)),
        return_exceptions=True,
    )
    reserved = [r for r in results if not isinstance(r, BaseException)]
    assert len(reserved) == 10
    assert all(isinstance(r, InsufficientCredits) for r in results if isinstance(r, BaseException))
    assert await ledger.balance(7) == Balance(0, 1000)
    captured = await asyncio.gather(*(ledger.capture(r.job_id) for r in reserved for _ in range(3)))
    assert [c for c in captured if c is not None] == [Capture(100, 1)] * 10
    assert await ledger.balance(7) == Balance(0, 0)


async def test_concurrent_duplicate_credits_apply_once(ledger: Ledger) -> None:
    applied = await asyncio.gather(*(ledger.credit(3, "inv-x", 250) for _ in range(20)))
    assert applied.count(True) == 1
    assert await ledger.balance(3) == Balance(250, 0)


async def test_pending_invoice_resolves_once(ledger: Ledger) -> None:
    invoice = PendingInvoice("inv-1", 1, 10, "job", 200, job_id="job-1", language="en")
    await ledger.add_pending(invoice)
    await ledger.add_pending(PendingInvoice("inv-2", 1, 10, "topup", 500))
    assert {i.invoice_id for i in await ledger.pending_invoices()} == {"inv-1", "inv-2"}
    resolved = await asyncio.gather(*(ledger.resolve_pending("inv-1") for _ in range(10)))
    assert [r for r in resolved if r is not None] == [invoice]
    assert [i.invoice_id for i in await ledger.pending_invoices()] == ["inv-2"]
    assert await ledger.resolve_pending("missing") is None
    assert await ledger.find_invoice("inv-1") == invoice  # resolved, still on record
    assert await ledger.find_invoice("missing") is None


async def test_capture_charges_the_delivered_images_and_gives_the_rest_back(
    ledger: Ledger,
) -> None:
    await ledger.credit(1, "inv", 500)
    mixed = await ledger.reserve(1, "job-1", 4, 100, 1, DAY)  # one free, three paid
    assert (mixed.sats, mixed.free_units) == (300, 1)
    # Three of four delivered: the free one counts first, then two paid ones.
    assert await ledger.capture("job-1", images=3) == Capture(200, 3)
    assert await ledger.balance(1) == Balance(300, 0)
    assert await ledger.capture("job-1", images=3) is None  # once per job
    assert await ledger.release("job-1") is False
    assert await ledger.balance(1) == Balance(300, 0)
    # More images than reserved are charged as reserved; none at all charges nothing.
    await ledger.reserve(1, "job-2", 2, 100, 0, DAY)
    assert await ledger.capture("job-2", images=9) == Capture(200, 2)
    await ledger.reserve(1, "job-3", 1, 100, 0, DAY)
    assert await ledger.capture("job-3", images=0) == Capture(0, 0)
    assert await ledger.balance(1) == Balance(100, 0)


async def test_unused_free_units_go_back_to_the_day_s_allowance(ledger: Ledger) -> None:
    free = await ledger.reserve(1, "job-1", 3, 100, 3, DAY)  # the whole allowance
    assert (free.sats, free.free_units) == (0, 3)
    assert await ledger.capture("job-1", images=1) == Capture(0, 1)
    with pytest.raises(InsufficientCredits):  # two free units came back, not three
        await ledger.reserve(1, "job-2", 3, 100, 3, DAY)
    again = await ledger.reserve(1, "job-3", 2, 100, 3, DAY)
    assert (again.sats, again.free_units) == (0, 2)
    assert await ledger.balance(1) == Balance(0, 0, 2)  # job-3 holds its two free units


async def test_concurrent_partial_captures_apply_once(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 400)
    await ledger.reserve(1, "job-1", 4, 100, 0, DAY)
    captured = await asyncio.gather(*(ledger.capture("job-1", images=1) for _ in range(10)))
    assert [c for c in captured if c is not None] == [Capture(100, 1)]
    assert await ledger.balance(1) == Balance(300, 0)


async def test_held_reservations_are_listed_with_their_age_until_settled(
    ledger: Ledger,
) -> None:
    await ledger.credit(1, "inv", 500)
    await ledger.reserve(1, "job-a", 1, 100, 0, DAY)
    await ledger.reserve(1, "job-b", 2, 100, 0, DAY)
    assert await ledger.held_reservations(60) == []  # none that old
    await asyncio.sleep(0.3)
    held = await ledger.held_reservations(0.2)
    assert [(h.job_id, h.user_id, h.sats) for h in held] == [("job-a", 1, 100), ("job-b", 1, 200)]
    assert all(0.2 <= h.age_s < 30 for h in held)
    assert [h.job_id for h in await ledger.held_reservations(0.2, limit=1)] == ["job-a"]
    await ledger.reserve(1, "job-c", 1, 100, 0, DAY)
    assert [h.job_id for h in await ledger.held_reservations(0.2)] == ["job-a", "job-b"]
    assert await ledger.capture("job-a", images=1) is not None
    assert await ledger.release("job-b") is True
    assert [h.job_id for h in await ledger.held_reservations(0)] == ["job-c"]


async def test_pending_of_lists_one_user_s_pending_invoices(ledger: Ledger) -> None:
    kept = PendingInvoice(
        "inv-1", 1, 10, "topup", 500, bolt11="lnbcrt5u1...", expires_at=1_900_000_000.5
    )
    await ledger.add_pending(kept)
    await ledger.add_pending(PendingInvoice("inv-2", 1, 10, "topup", 100))
    await ledger.add_pending(PendingInvoice("inv-3", 2, 20, "topup", 100))
    assert sorted(i.invoice_id for i in await ledger.pending_of(1)) == ["inv-1", "inv-2"]
    assert await ledger.resolve_pending("inv-2") is not None
    assert await ledger.pending_of(1) == [kept]  # with its BOLT11 and expiry
    assert [i.invoice_id for i in await ledger.pending_of(2)] == ["inv-3"]
    assert await ledger.pending_of(3) == []


async def test_transfer_moves_once_all_or_nothing(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 500)
    await ledger.transfer(1, -100, "fund-1", 300)
    await ledger.transfer(1, -100, "fund-1", 300)  # a repeat moves nothing
    assert await ledger.balance(1) == Balance(200, 0)
    assert await ledger.balance(-100) == Balance(300, 0)
    with pytest.raises(InsufficientCredits) as short:
        await ledger.transfer(1, -100, "fund-2", 250)
    assert short.value.missing_sats == 50
    assert await ledger.balance(1) == Balance(200, 0)
    await ledger.transfer(1, -100, "fund-2", 200)  # refused before: the key is still free
    assert await ledger.balance(-100) == Balance(500, 0)
    with pytest.raises(ValueError, match="positive"):
        await ledger.transfer(1, -100, "fund-3", 0)
    with pytest.raises(ValueError, match="two accounts"):
        await ledger.transfer(1, 1, "fund-4", 10)


async def test_concurrent_transfers_never_overdraw(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 300)

    async def fund(n: int) -> bool:
        try:
            await ledger.transfer(1, -100, f"fund-{n}", 100)
        except InsufficientCredits:
            return False
        return True

    moved = await asyncio.gather(*(fund(n) for n in range(10)))
    assert sum(moved) == 3
    assert await ledger.balance(1) == Balance(0, 0)
    assert await ledger.balance(-100) == Balance(300, 0)


async def test_a_parked_reservation_holds_free_units_and_credit(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 150)
    with pytest.raises(InsufficientCredits) as short:  # 3 images, 1 free: 200 sats, 150 there
        await ledger.reserve(1, "job-1", 3, 100, 1, DAY, park=True)
    assert (short.value.missing_sats, short.value.free_units, short.value.held_sats) == (
        50,
        1,
        150,
    )
    assert await ledger.balance(1) == Balance(0, 150, 1)
    assert await ledger.free_used(1, DAY) == 1
    assert await ledger.held_reservations(0.0) == []  # waiting for its invoice: not swept
    assert await ledger.capture("job-1") is None
    with pytest.raises(InsufficientCredits) as still:  # nothing more came in
        await ledger.reserve(1, "job-1", 3, 100, 1, DAY, park=True)
    assert still.value.missing_sats == 50
    await ledger.credit(1, "paid", 50)
    done = await ledger.reserve(1, "job-1", 3, 100, 1, DAY)
    assert (done.sats, done.free_units) == (200, 1)
    assert await ledger.balance(1) == Balance(0, 200, 1)
    assert [held.job_id for held in await ledger.held_reservations(0.0)] == ["job-1"]
    assert await ledger.capture("job-1") == Capture(200, 3)
    assert await ledger.balance(1) == Balance(0, 0, 0)
    assert await ledger.free_used(1, DAY) == 1


async def test_releasing_a_parked_reservation_gives_everything_back(ledger: Ledger) -> None:
    await ledger.credit(1, "inv", 30)
    with pytest.raises(InsufficientCredits):
        await ledger.reserve(1, "job-1", 2, 100, 1, DAY, park=True)
    assert await ledger.balance(1) == Balance(0, 30, 1)
    assert await ledger.release("job-1") is True
    assert await ledger.release("job-1") is False
    assert await ledger.balance(1) == Balance(30, 0, 0)
    assert await ledger.free_used(1, DAY) == 0
    # Without park, a short balance still takes nothing.
    with pytest.raises(InsufficientCredits) as short:
        await ledger.reserve(1, "job-2", 2, 100, 1, DAY)
    assert (short.value.free_units, short.value.held_sats) == (0, 0)
    assert await ledger.balance(1) == Balance(30, 0, 0)
