"""Named counters in the state store, in total and per UTC day: what ``/stats`` reads."""

from __future__ import annotations

import datetime as dt

from state.base import StateStore


async def count(store: StateStore, name: str, by: int = 1) -> None:
    await store.incr_counter(name, by)
    await store.incr_counter(name, by, day=dt.datetime.now(dt.UTC).date())
