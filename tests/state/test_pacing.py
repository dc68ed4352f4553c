"""The send pacer's contract, in memory and on Redis: bursts, then one slot per interval,
every bucket charged at the same moment, one budget for every process on one Redis."""

from __future__ import annotations

import pytest

from state.pacing import Bucket, gcra
from state.pacing_redis import RedisSendPacer
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from tests.redis_server import RedisServer
from tests.state.conftest import Backend

SLACK_S = 0.05  # clock drift between reserves in one test


async def test_a_burst_goes_at_once_then_one_slot_per_interval(backend: Backend) -> None:
    bucket = Bucket("chat:1", per_s=10, burst=3)
    waits = [await backend.state.pacer.reserve([bucket]) for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    for n, wait in enumerate(waits[3:], start=1):
        assert n * 0.1 - SLACK_S < wait <= n * 0.1


async def test_the_slowest_bucket_sets_the_wait_and_every_bucket_is_charged_then(
    backend: Backend,
) -> None:
    pacer = backend.state.pacer
    fast, slow = Bucket("all", per_s=100), Bucket("group:-5", per_s=2)
    assert await pacer.reserve([fast, slow]) == 0.0
    wait = await pacer.reserve([fast, slow])
    assert 0.5 - SLACK_S < wait <= 0.5
    # The fast bucket was charged at the slow one's slot: its next free slot is after it.
    assert 0.5 - SLACK_S < await pacer.reserve([fast]) <= 0.51
    # Another chat's bucket is its own.
    assert await pacer.reserve([Bucket("group:-6", per_s=2)]) == 0.0


async def test_buckets_of_different_keys_do_not_share(backend: Backend) -> None:
    for chat in range(5):
        assert await backend.state.pacer.reserve([Bucket(f"chat:{chat}", per_s=1)]) == 0.0


async def test_two_processes_on_one_redis_share_one_budget(redis_server: RedisServer) -> None:
    keys = RedisKeys("pacing-shared-test:")
    clients = [connect(redis_server.url), connect(redis_server.url)]
    try:
        first, second = (RedisSendPacer(client, keys) for client in clients)
        bucket = Bucket("all", per_s=20)
        waits = [await pacer.reserve([bucket]) for pacer in (first, second, first, second)]
        assert waits[0] == 0.0
        for n, wait in enumerate(waits[1:], start=1):
            assert n * 0.05 - SLACK_S < wait <= n * 0.05
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.parametrize(
    ("now", "arrivals", "expected"),
    [
        (10.0, [None, None], 10.0),  # unused buckets: now
        (10.0, [10.5, None], 10.5),  # burst 1: at its arrival time
        (10.0, [10.5, 13.0], 11.0),  # burst 3 at 1/s: two slots early
        (10.0, [9.0, 9.0], 10.0),  # past arrivals never move a send earlier than now
    ],
)
def test_the_rule(now: float, arrivals: list[float | None], expected: float) -> None:
    buckets = [Bucket("a", per_s=1), Bucket("b", per_s=1, burst=3)]
    assert gcra(now, arrivals, buckets) == expected


def test_a_bucket_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        Bucket("a", per_s=0)
    with pytest.raises(ValueError, match="burst"):
        Bucket("a", per_s=1, burst=0)
