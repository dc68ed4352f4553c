"""Image history in memory: one process, gone when it stops (see ``ImageHistory``)."""

from __future__ import annotations

import time

from state.base import ImageHistory
from state.models import HistoryEntry


class MemoryImageHistory(ImageHistory):
    def __init__(self) -> None:
        self._by_user: dict[int, dict[str, HistoryEntry]] = {}

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _live(self, user_id: int) -> dict[str, HistoryEntry]:
        now = time.time()
        mine = self._by_user.get(user_id, {})
        for entry_id in [key for key, entry in mine.items() if entry.expires_at <= now]:
            del mine[entry_id]
        return mine

    async def add(self, entry: HistoryEntry, ttl_s: float) -> None:
        kept = entry.model_copy(update={"expires_at": time.time() + ttl_s})
        mine = self._live(entry.user_id)
        mine[entry.id] = kept
        self._by_user[entry.user_id] = mine
        if len(mine) > self.MAX_PER_USER:
            oldest = sorted(mine.values(), key=lambda item: item.created_at)
            for dropped in oldest[: len(mine) - self.MAX_PER_USER]:
                del mine[dropped.id]

    async def page(self, user_id: int, before: float | None, limit: int) -> list[HistoryEntry]:
        if limit <= 0:
            return []
        entries = [
            entry
            for entry in self._live(user_id).values()
            if before is None or entry.created_at < before
        ]
        entries.sort(key=lambda item: item.created_at, reverse=True)
        return entries[:limit]

    async def get(self, user_id: int, entry_id: str) -> HistoryEntry | None:
        return self._live(user_id).get(entry_id)

    async def delete(self, user_id: int, entry_id: str) -> bool:
        return self._live(user_id).pop(entry_id, None) is not None

    async def clear(self, user_id: int) -> int:
        return len(self._by_user.pop(user_id, {}))
