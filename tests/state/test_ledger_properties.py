"""Ledger properties (hypothesis), on memory and Redis: any interleaving of top-ups,
reserves, captures, releases and duplicate deliveries keeps every balance equal to
credited - captured - reserved, never negative, with each key applied once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from state.base import Ledger
from state.errors import InsufficientCredits
from state.ledger_memory import MemoryLedger
from state.ledger_redis import RedisLedger
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from tests.redis_server import RedisServer

DAY = dt.date(2026, 11, 23)
USERS = st.integers(1, 2)
KEYS = st.integers(0, 4)  # few keys: duplicates are common
PRICE = 10

operation = st.one_of(
    st.tuples(st.just("credit"), USERS, KEYS, st.integers(0, 50)),
    st.tuples(st.just("reserve"), USERS, KEYS, st.integers(1, 3)),
    # Capture of that many delivered images (-1: all of them).
    st.tuples(st.just("capture"), USERS, KEYS, st.integers(-1, 4)),
    st.tuples(st.just("release"), USERS, KEYS, st.just(0)),
)


@dataclass
class Model:
    credited: dict[int, int] = field(default_factory=dict)
    captured: dict[int, int] = field(default_factory=dict)
    reserved: dict[int, int] = field(default_factory=dict)
    credit_keys: set[str] = field(default_factory=set)
    # user, sats, state, units, free units
    jobs: dict[str, tuple[int, int, str, int, int]] = field(default_factory=dict)


def charged(units: int, free: int, images: int) -> tuple[int, int]:
    """What capturing ``images`` (-1: all) of a reservation charges: sats, images."""
    taken = units if images < 0 else min(images, units)
    return (taken - min(taken, free)) * PRICE, taken


async def _run(ledger: Ledger, operations: list[tuple[str, int, int, int]]) -> None:
    model = Model()
    for kind, user, key, amount in operations:
        job = f"job-{key}"
        if kind == "credit":
            # Every delivery of the same invoice carries the same amount.
            invoice, sats = f"inv-{user}-{key}", amount
            first = invoice not in model.credit_keys
            assert await ledger.credit(user, invoice, sats) is first
            if first:
                model.credit_keys.add(invoice)
                model.credited[user] = model.credited.get(user, 0) + sats
        elif kind == "reserve":
            known = model.jobs.get(job)
            owner = known[0] if known else user  # a job id belongs to one user
            try:
                reservation = await ledger.reserve(owner, job, amount, PRICE, 1, DAY)
            except InsufficientCredits:
                assert known is None
                continue
            if known is None:
                model.jobs[job] = (
                    owner,
                    reservation.sats,
                    "reserved",
                    amount,
                    reservation.free_units,
                )
                model.reserved[owner] = model.reserved.get(owner, 0) + reservation.sats
            else:
                assert reservation.sats == known[1]
        else:
            known = model.jobs.get(job)
            applies = known is not None and known[2] == "reserved"
            if kind == "capture":
                capture = await ledger.capture(job, None if amount < 0 else amount)
                done = capture is not None
            else:
                done = await ledger.release(job)
            assert done is applies
            if known is not None and applies:
                owner, sats, _, units, free = known
                model.jobs[job] = (owner, sats, kind, units, free)
                model.reserved[owner] -= sats
                if kind == "capture":
                    spent, images = charged(units, free, amount)
                    assert capture is not None
                    assert (capture.sats, capture.images) == (spent, images)
                    model.captured[owner] = model.captured.get(owner, 0) + spent
        for who in (1, 2):
            balance = await ledger.balance(who)
            expected = (
                model.credited.get(who, 0) - model.captured.get(who, 0) - model.reserved.get(who, 0)
            )
            assert balance.available_sats == expected >= 0
            assert balance.reserved_sats == model.reserved.get(who, 0) >= 0


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.lists(operation, max_size=30))
def test_memory_ledger_keeps_its_invariant(operations: list[tuple[str, int, int, int]]) -> None:
    asyncio.run(_run(MemoryLedger(), operations))


@pytest.fixture
def server(redis_server: RedisServer) -> RedisServer:
    return redis_server


@SETTINGS
@given(st.lists(operation, max_size=30))
def test_redis_ledger_keeps_its_invariant(
    server: RedisServer, operations: list[tuple[str, int, int, int]]
) -> None:
    async def run() -> None:
        client = connect(server.url)
        try:
            await _run(RedisLedger(client, RedisKeys(f"prop-{uuid.uuid4().hex[:12]}:")), operations)
        finally:
            await client.aclose()

    asyncio.run(run())
