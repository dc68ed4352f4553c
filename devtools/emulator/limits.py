"""Telegram's published sending limits, enforced as Telegram does: past them, a 429.

About 30 messages a second per bot in all, 1 a second per chat (short bursts allowed),
20 a minute per group. Telegram does not publish its exact algorithm; this is the most
lenient reading that keeps those rates: a token bucket per scope (the bot, each chat,
each group) that holds a second's worth overall, a few messages per chat and a minute's
worth per group, refilled at the published rate. A call takes a token from each of its
buckets, all or none; when one is empty the call is refused with ``retry_after`` the
whole seconds until it has a token again, and is not carried out. What counts is every
call that sends or changes a message for a chat (send*, edit*, copy*, forward*, ...);
chat actions, answers to callback queries and reads are free, as on Telegram.

:func:`minimum_seconds` is the least time the same limits allow for a burst of a given
shape, the yardstick the pacing bench measures against.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

COUNTED = ("send", "edit", "copy", "forward", "stop")
FREE = {"sendChatAction"}


@dataclass(frozen=True)
class Rate:
    per_s: float
    capacity: int


OVERALL = Rate(30.0, 30)
PER_CHAT = Rate(1.0, 3)
PER_GROUP = Rate(20 / 60, 20)


@dataclass
class _Bucket:
    rate: Rate
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.rate.capacity, self.tokens + (now - self.at) * self.rate.per_s)
        self.at = now

    def wait_s(self) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate.per_s


def counted(method: str, chat_id: object) -> bool:
    """Whether a call counts against the limits (a message sent or changed in a chat)."""
    return chat_id is not None and method not in FREE and method.startswith(COUNTED)


def is_group(chat_id: object) -> bool:
    return isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)


@dataclass
class SendingLimits:
    """The buckets of one bot; :meth:`take` is asked once per counted call."""

    overall: Rate = OVERALL
    per_chat: Rate = PER_CHAT
    per_group: Rate = PER_GROUP
    refused: int = 0  # 429s answered
    refused_by: Counter[str] = field(default_factory=Counter)  # by scope: all, chat, group
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def _bucket(self, key: str, rate: Rate, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, float(rate.capacity), now)
        bucket.refill(now)
        return bucket

    def take(self, method: str, chat_id: object) -> int | None:
        """None: the call may go (its tokens taken); else the 429's ``retry_after``."""
        if not counted(method, chat_id):
            return None
        now = time.monotonic()
        buckets = [
            ("all", self._bucket("all", self.overall, now)),
            ("chat", self._bucket(f"chat:{chat_id}", self.per_chat, now)),
        ]
        if is_group(chat_id):
            buckets.append(("group", self._bucket(f"group:{chat_id}", self.per_group, now)))
        wait_s, scope = max((bucket.wait_s(), key) for key, bucket in buckets)
        if wait_s > 0:
            self.refused += 1
            self.refused_by[scope] += 1
            return max(1, math.ceil(wait_s))
        for _, bucket in buckets:
            bucket.tokens -= 1
        return None


def minimum_seconds(
    per_chat: Mapping[object, int],
    overall: Rate = OVERALL,
    chat: Rate = PER_CHAT,
    group: Rate = PER_GROUP,
) -> float:
    """The least time from a burst's first counted call to its last, for ``per_chat``
    counted calls to each chat, starting with full buckets: the longest any one bucket
    needs (each bucket drains its capacity at once, then refills at its rate)."""

    def needs(count: int, rate: Rate) -> float:
        return max(0.0, (count - rate.capacity) / rate.per_s)

    bounds = [needs(sum(per_chat.values()), overall)]
    for chat_id, count in per_chat.items():
        bounds.append(needs(count, chat))
        if is_group(chat_id):
            bounds.append(needs(count, group))
    return max(bounds)
