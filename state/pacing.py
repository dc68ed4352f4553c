"""Sending pace shared by every process: a budget per scope, reserved before each send.

:class:`Bucket` is a scope's budget and :func:`gcra` the rule both ``SendPacer``
implementations follow (``state/pacing_memory.py`` in one process,
``state/pacing_redis.py`` across processes on one Redis). The contract, also on
``state.base.SendPacer``:

- ``reserve(buckets)`` takes one send from every :class:`Bucket` at once and returns how
  many seconds the caller must wait before sending (0: now). It never refuses: a send past
  a bucket's rate is given a later slot, so callers queue in the order they reserved, in
  every process alike. A reserved slot is spent whether or not the send then happens.
- A bucket lets ``burst`` sends through at once, then one every ``1 / per_s`` seconds
  (the generic cell rate algorithm: a bucket is one timestamp, its theoretical arrival
  time). The wait is the longest any of the buckets asks, and every bucket is charged at
  that same moment, so a send never counts against a budget before it may be sent.
- On Redis the clock is the server's (one clock for every machine) and the whole reserve
  is one Lua script; a bucket unused for a while is forgotten. ``reserve`` raises
  ``state.errors.StateUnavailable`` when Redis cannot be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """One scope's budget: ``key`` names it (e.g. ``chat:42``), ``per_s`` sends a second,
    ``burst`` of them at once."""

    key: str
    per_s: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_s <= 0 or self.burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of 1 or more")

    @property
    def interval_s(self) -> float:
        return 1.0 / self.per_s


def gcra(now: float, arrivals: Sequence[float | None], buckets: Sequence[Bucket]) -> float:
    """The moment (same clock as ``now``) the send may go, given each bucket's theoretical
    arrival time (None: unused). The one rule; the Redis script is its transcription."""
    start = now
    for tat, bucket in zip(arrivals, buckets, strict=True):
        if tat is not None:
            start = max(start, tat - (bucket.burst - 1) * bucket.interval_s)
    return start
