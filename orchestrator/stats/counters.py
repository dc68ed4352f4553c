"""Named counters in the state store, in total and per UTC day: what ``/stats`` reads.

Every counter name lives here, so the features that count (payments, moderation,
admission, the worker) and ``/stats`` that reads agree on them. Count with
``await count(stats, NAME, by)``: it adds to the total and to today's bucket at once.
"""

from __future__ import annotations

import datetime as dt

from state.base import StatsStore

JOBS_ACCEPTED = "jobs_accepted"
REQUESTS_RATE_LIMITED = "requests_rate_limited"
REVENUE_SATS = "revenue_sats"  # payments: sats captured for delivered jobs (by=sats)
BLOCKS_PREFIX = "moderation_blocks:"  # moderation: + Category value, e.g. ...:sexual


def jobs(outcome: str, kind: str | None = None) -> str:
    """``jobs_delivered``, ``jobs_failed``; with a kind ``jobs_delivered:generate``."""
    return f"jobs_{outcome}" if kind is None else f"jobs_{outcome}:{kind}"


def blocks(category: str) -> str:
    return f"{BLOCKS_PREFIX}{category}"


def provider_calls(provider: str) -> str:
    return f"provider_calls:{provider}"


def provider_failures(provider: str) -> str:
    return f"provider_failures:{provider}"


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def count(stats: StatsStore, name: str, by: int = 1) -> None:
    await stats.count(name, by, today())
