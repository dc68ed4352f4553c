"""The selection rules on their own, on a clock the test moves."""

from __future__ import annotations

from collections import Counter

from state.models import Tier
from state.scheduling import FairQueue, TierPolicy, pick_tier, predict_position

TURBO, FAST, RELAX = Tier.TURBO, Tier.FAST, Tier.RELAX


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _queue(policy: TierPolicy | None = None) -> tuple[FairQueue[str], Clock]:
    clock = Clock()
    return FairQueue(policy or TierPolicy(), clock), clock


def _fill(queue: FairQueue[str], tier: Tier, user: str, count: int) -> None:
    for i in range(count):
        key = f"{tier.value}-{user}-{i}"
        queue.push(key, tier, user, key)


def _drain(queue: FairQueue[str]) -> list[str]:
    out = []
    while (item := queue.pop()) is not None:
        out.append(item)
    return out


def test_shares_follow_the_weights_with_a_reserved_floor() -> None:
    policy = TierPolicy()
    assert policy.shares({TURBO, FAST, RELAX}) == {TURBO: 600, FAST: 300, RELAX: 100}
    assert policy.shares({TURBO, FAST}) == {TURBO: 667, FAST: 333}
    assert policy.shares({FAST, RELAX}) == {FAST: 833, RELAX: 167}
    assert policy.shares({RELAX}) == {RELAX: 1000}
    assert policy.shares(set()) == {}
    # A steeper weight still leaves every waiting tier its tenth.
    steep = TierPolicy(weights={TURBO: 100, FAST: 10, RELAX: 1})
    assert steep.shares({TURBO, FAST, RELAX})[RELAX] == 100
    assert steep.shares({TURBO, FAST, RELAX})[FAST] == 100


def test_the_weighted_round_robin_is_exact_over_a_window() -> None:
    shares = TierPolicy().shares({TURBO, FAST, RELAX})
    credit: dict[Tier, int] = {}
    picks = [pick_tier(credit, shares) for _ in range(20)]
    assert Counter(picks[:10]) == {TURBO: 6, FAST: 3, RELAX: 1}
    assert Counter(picks[10:]) == {TURBO: 6, FAST: 3, RELAX: 1}
    assert picks[:3] == [TURBO, FAST, TURBO]  # interleaved, not in runs


def test_every_waiting_tier_gets_its_reserved_share() -> None:
    queue, _ = _queue()
    for tier in (TURBO, FAST, RELAX):
        _fill(queue, tier, "u", 100)
    first = [queue.pop() for _ in range(100)]
    counts = Counter(str(item).split("-")[0] for item in first)
    assert counts == {"turbo": 60, "fast": 30, "relax": 10}


def test_users_take_turns_within_a_tier() -> None:
    queue, _ = _queue()
    _fill(queue, RELAX, "flood", 20)
    _fill(queue, RELAX, "light", 1)
    _fill(queue, RELAX, "other", 2)
    order = _drain(queue)
    assert order[:5] == [
        "relax-flood-0",
        "relax-light-0",
        "relax-other-0",
        "relax-flood-1",
        "relax-other-1",
    ]
    assert order[5:] == [f"relax-flood-{i}" for i in range(2, 20)]


def test_a_job_past_its_tiers_maximum_wait_is_promoted() -> None:
    policy = TierPolicy(max_wait_s={TURBO: 60, FAST: 60, RELAX: 5})
    queue, clock = _queue(policy)
    _fill(queue, RELAX, "slow", 2)
    clock.now = 1
    _fill(queue, TURBO, "rich", 30)
    assert queue.pop() == "turbo-rich-0"
    clock.now = 5.5  # the first relax job has waited 5.5 s: overdue
    assert queue.pop() == "relax-slow-0"
    assert queue.pop() == "relax-slow-1"  # waited as long: promoted too
    assert queue.pop() == "turbo-rich-1"


def test_a_handed_back_job_goes_first_in_its_tier() -> None:
    queue, _ = _queue()
    _fill(queue, RELAX, "a", 2)
    _fill(queue, RELAX, "b", 1)
    taken = queue.pop()
    assert taken == "relax-a-0"
    queue.push(taken, RELAX, "a", taken, front=True)
    assert _drain(queue) == ["relax-a-0", "relax-b-0", "relax-a-1"]


def test_positions_predict_the_order_of_picks() -> None:
    queue, _ = _queue()
    _fill(queue, RELAX, "flood", 10)
    _fill(queue, RELAX, "light", 1)
    _fill(queue, FAST, "payer", 2)
    _fill(queue, TURBO, "vip", 1)
    keys = [f"relax-flood-{i}" for i in range(10)] + ["relax-light-0"]
    keys += ["fast-payer-0", "fast-payer-1", "turbo-vip-0"]
    predicted = {key: queue.position(key) for key in keys}
    actual = {key: index for index, key in enumerate(_drain(queue))}
    assert predicted == actual
    assert queue.position("gone") is None


def test_a_prediction_counts_the_other_users_turns() -> None:
    # Third job of the second user in the ring; the others hold 5 and 1 jobs.
    ahead = predict_position(
        TierPolicy(), RELAX, [5, 4, 1], 1, 2, {RELAX: 10}, dict.fromkeys(Tier, 0)
    )
    assert ahead == 3 + 2 + 1  # the first user's three turns, this user's two, the third's one
