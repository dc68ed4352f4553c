"""Which waiting job runs next: tiers by weight, users by turns, nobody waits for ever.

The rules, the same for the memory queue (:class:`FairQueue`, here) and the Redis queue
(the ``PICK`` script in ``state/redis_scripts.py``, which follows these functions step by
step; the contract tests run one scenario over both and compare the order):

1. **Promotion.** A tier whose oldest job has waited longer than the tier's maximum
   (``TierPolicy.max_wait_s``) gives that job next, the most overdue first. A promoted pick
   changes neither the tiers' credits nor the users' turns.
2. **Tiers by weight.** Otherwise a smooth weighted round-robin between the tiers that have
   waiting jobs: each adds its share to its credit, the richest is picked (ties: turbo,
   fast, relax) and pays back the sum of the shares; an empty tier's credit is reset, so
   no tier saves credit while it has nothing to run. Shares come from the weights, but
   every non-empty tier gets at least ``min_share`` of the picks (the reserved capacity):
   with 10/5/1 and all three waiting that is 60 % / 30 % / 10 %. Deterministic, and exact
   over any window as long as the set of waiting tiers does not change.
3. **Users by turns.** Within the picked tier, the user first in the tier's ring gives
   their oldest job and, if they have more, goes to the back of the ring; a user's
   twenty jobs thus take turns with another user's one. A job handed back (a worker
   stopping) goes to the front of its user's line and its user to the front of the ring.

:func:`predict_position` tells how many picks come before a waiting job if nothing else
arrives (promotion left out): the number a waiting user is shown.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from state.models import Tier

TIER_ORDER = (Tier.TURBO, Tier.FAST, Tier.RELAX)  # also the order that breaks ties
SHARE_SCALE = 1000  # shares are integers (parts per thousand): the same sums in Lua
POSITION_LIMIT = 10_000  # predictions stop counting here
T = TypeVar("T")


def _default_weights() -> dict[Tier, int]:
    return {Tier.TURBO: 10, Tier.FAST: 5, Tier.RELAX: 1}


def _default_max_waits() -> dict[Tier, float]:
    return {Tier.TURBO: 60.0, Tier.FAST: 120.0, Tier.RELAX: 300.0}


@dataclass(frozen=True)
class TierPolicy:
    weights: Mapping[Tier, int] = field(default_factory=_default_weights)  # each >= 1
    min_share: float = 0.10  # of the picks, for every tier with jobs waiting
    max_wait_s: Mapping[Tier, float] = field(default_factory=_default_max_waits)

    def shares(self, waiting: Collection[Tier]) -> dict[Tier, int]:
        """Each waiting tier's share of the picks, in parts per ``SHARE_SCALE``."""
        return dict(self.share_table[_mask(waiting)])

    @cached_property
    def share_table(self) -> list[dict[Tier, int]]:
        """The shares for every set of waiting tiers, indexed by its bit mask."""
        return [self._compute_shares(_tiers_of(mask)) for mask in range(1 << len(TIER_ORDER))]

    def _compute_shares(self, tiers: list[Tier]) -> dict[Tier, int]:
        if not tiers:
            return {}
        floor = min(self.min_share, 1.0 / len(tiers))
        fixed: dict[Tier, float] = {}
        while True:  # tiers below the floor get the floor; the rest split what is left
            free = [tier for tier in tiers if tier not in fixed]
            rest = 1.0 - floor * len(fixed)
            total = sum(self.weights[tier] for tier in free)
            share = {tier: rest * self.weights[tier] / total for tier in free}
            low = [tier for tier in free if share[tier] < floor]
            if not low or len(low) == len(free):
                break
            fixed.update(dict.fromkeys(low, floor))
        share.update(fixed)
        return {tier: max(1, round(share[tier] * SHARE_SCALE)) for tier in tiers}


def _mask(tiers: Collection[Tier]) -> int:
    return sum(1 << index for index, tier in enumerate(TIER_ORDER) if tier in tiers)


def _tiers_of(mask: int) -> list[Tier]:
    return [tier for index, tier in enumerate(TIER_ORDER) if mask & (1 << index)]


def pick_tier(credit: dict[Tier, int], shares: Mapping[Tier, int]) -> Tier:
    """One step of the smooth weighted round-robin over the tiers in ``shares`` (non-empty)."""
    best: Tier | None = None
    for tier in TIER_ORDER:
        if tier not in shares:
            credit[tier] = 0
            continue
        credit[tier] = credit.get(tier, 0) + shares[tier]
        if best is None or credit[tier] > credit[best]:
            best = tier
    assert best is not None, "no tier is waiting"
    credit[best] -= sum(shares.values())
    return best


def overdue_tier(policy: TierPolicy, oldest: Mapping[Tier, float], now: float) -> Tier | None:
    """The tier whose oldest job (enqueued at ``oldest[tier]``) is furthest past its
    maximum wait; None when none is past it."""
    found, furthest = None, 0.0
    for tier in TIER_ORDER:
        if tier in oldest:
            late = now - oldest[tier] - policy.max_wait_s[tier]
            if late > furthest:
                found, furthest = tier, late
    return found


def predict_position(
    policy: TierPolicy,
    tier: Tier,
    ring_lengths: Sequence[int],
    ring_index: int,
    index: int,
    waiting: Mapping[Tier, int],
    credit: Mapping[Tier, int],
) -> int:
    """Picks before a job if nothing else arrives: the job is ``index``-th in the line of the
    user at ``ring_index`` of its tier's ring; ``ring_lengths`` are the lines' lengths in
    ring order; ``waiting`` counts each tier's jobs; ``credit`` is the tiers' credit."""
    own = index + sum(
        min(length, index + (1 if i < ring_index else 0))
        for i, length in enumerate(ring_lengths)
        if i != ring_index
    )
    left = {t: n for t, n in waiting.items() if n > 0 and t is not tier}
    left[tier] = own + 1
    current, ahead = dict(credit), 0
    while ahead < POSITION_LIMIT:
        picked = pick_tier(current, policy.share_table[_mask(left)])
        if picked is tier and own == 0:
            return ahead
        if picked is tier:
            own -= 1
        left[picked] -= 1
        if left[picked] == 0:
            del left[picked]
        ahead += 1
    return POSITION_LIMIT


@dataclass
class _Entry(Generic[T]):
    key: str
    tier: Tier
    user: str
    since: float
    item: T


class FairQueue(Generic[T]):
    """The rules above over items in this process (not thread-safe; one event loop)."""

    def __init__(self, policy: TierPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._rings: dict[Tier, deque[str]] = {tier: deque() for tier in TIER_ORDER}
        self._lines: dict[tuple[Tier, str], deque[_Entry[T]]] = {}
        self._entries: dict[str, _Entry[T]] = {}
        self._counts = dict.fromkeys(TIER_ORDER, 0)
        self._credit = dict.fromkeys(TIER_ORDER, 0)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def push(self, key: str, tier: Tier, user: str, item: T, *, front: bool = False) -> None:
        entry = _Entry(key, tier, user, self._clock(), item)
        line = self._lines.get((tier, user))
        ring = self._rings[tier]
        if line is None:
            line = self._lines[(tier, user)] = deque()
            ring.appendleft(user) if front else ring.append(user)
        elif front:
            ring.remove(user)
            ring.appendleft(user)
        line.appendleft(entry) if front else line.append(entry)
        self._entries[key] = entry
        self._counts[tier] += 1

    def pop(self) -> T | None:
        if not self._entries:
            return None
        oldest: dict[Tier, float] = {}
        for tier, ring in self._rings.items():
            if ring:
                oldest[tier] = min(self._lines[(tier, user)][0].since for user in ring)
        promoted = overdue_tier(self.policy, oldest, self._clock())
        if promoted is not None:
            ring = self._rings[promoted]
            user = next(u for u in ring if self._lines[(promoted, u)][0].since == oldest[promoted])
            return self._take(promoted, user, rotate=False)
        tier = pick_tier(self._credit, self.policy.shares(oldest))
        return self._take(tier, self._rings[tier][0], rotate=True)

    def _take(self, tier: Tier, user: str, *, rotate: bool) -> T:
        line = self._lines[(tier, user)]
        entry = line.popleft()
        ring = self._rings[tier]
        if not line:
            del self._lines[(tier, user)]
            ring.remove(user)
        elif rotate:
            ring.rotate(-1)  # the user at the front goes to the back
        del self._entries[entry.key]
        self._counts[tier] -= 1
        return entry.item

    def position(self, key: str) -> int | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        ring = self._rings[entry.tier]
        lengths = [len(self._lines[(entry.tier, user)]) for user in ring]
        index = self._lines[(entry.tier, entry.user)].index(entry)
        return predict_position(
            self.policy,
            entry.tier,
            lengths,
            ring.index(entry.user),
            index,
            self._counts,
            self._credit,
        )
