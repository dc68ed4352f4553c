"""The ``StatsStore`` contract, in memory and on a real Redis."""

from __future__ import annotations

import asyncio
import datetime as dt

from state.base import LATENCY_SAMPLES_PER_DAY
from tests.state.conftest import Backend

TODAY = dt.date(2026, 11, 23)
YESTERDAY = TODAY - dt.timedelta(days=1)


async def test_users_are_counted_once_per_window_and_ever(backend: Backend) -> None:
    stats = backend.stats
    await stats.record_user(1, YESTERDAY)
    await stats.record_user(1, TODAY)
    await stats.record_user(1, TODAY)
    await stats.record_user(2, TODAY)
    await stats.record_user(3, YESTERDAY)

    assert await stats.count_users() == 3
    assert await stats.count_users([TODAY]) == 2
    assert await stats.count_users([YESTERDAY]) == 2
    assert await stats.count_users([TODAY, YESTERDAY]) == 3
    assert await stats.count_users([TODAY - dt.timedelta(days=5)]) == 0
    assert await stats.count_users([]) == 0


async def test_latency_samples_are_kept_per_provider_and_day_and_bounded(
    backend: Backend,
) -> None:
    stats = backend.stats
    await stats.add_latency("fal", YESTERDAY, 0.25)
    await stats.add_latency("fal", TODAY, 1.5)
    await stats.add_latency("replicate", TODAY, 9.0)
    assert sorted(await stats.latencies("fal", [TODAY, YESTERDAY])) == [0.25, 1.5]
    assert await stats.latencies("fal", [TODAY]) == [1.5]
    assert await stats.latencies("gpu", [TODAY]) == []

    for index in range(LATENCY_SAMPLES_PER_DAY + 5):
        await stats.add_latency("gpu", TODAY, float(index))
    kept = await stats.latencies("gpu", [TODAY])
    assert len(kept) == LATENCY_SAMPLES_PER_DAY
    assert kept[-1] == float(LATENCY_SAMPLES_PER_DAY + 4)  # the latest are kept
    assert kept[0] == 5.0


async def test_counters_are_read_per_day_in_bulk(backend: Backend) -> None:
    stats = backend.stats
    await stats.count("jobs_delivered", 2, TODAY)
    await stats.count("revenue_sats", 300, YESTERDAY)
    read = await stats.read_counters(
        ["jobs_delivered", "revenue_sats", "never"], [YESTERDAY, TODAY]
    )
    assert read == {"jobs_delivered": [0, 2], "revenue_sats": [300, 0], "never": [0, 0]}


async def test_a_count_adds_to_the_total_and_the_day_at_once(backend: Backend) -> None:
    stats = backend.stats
    assert await stats.counter("jobs_delivered") == 0
    await stats.count("jobs_delivered", 1, TODAY)
    await stats.count("jobs_delivered", 4, TODAY)
    await stats.count("jobs_delivered", 2, YESTERDAY)
    assert await stats.counter("jobs_delivered") == 7
    assert await stats.counter("jobs_delivered", TODAY) == 5
    assert await stats.counter("jobs_delivered", YESTERDAY) == 2
    assert await stats.counter("jobs_failed", TODAY) == 0


async def test_concurrent_counts_are_all_kept(backend: Backend) -> None:
    """Many processes count at once: none is lost, the total matches the days."""
    await asyncio.gather(*(backend.stats.count("jobs_accepted", 1, TODAY) for _ in range(100)))
    total = await backend.stats.counter("jobs_accepted")
    assert total == await backend.stats.counter("jobs_accepted", TODAY) == 100
