"""Moderation records in memory: one process, gone when it stops (see ``ModerationRecords``)."""

from __future__ import annotations

import time
from collections import deque

from state.base import ModerationRecords
from state.models import BlockRecord


class MemoryModerationRecords(ModerationRecords):
    def __init__(self) -> None:
        self._recent: deque[BlockRecord] = deque(maxlen=self.RECENT_BLOCKS_KEPT)
        self._by_user: dict[int, list[BlockRecord]] = {}
        self._bans: set[int] = set()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def record_block(self, record: BlockRecord) -> None:
        self._recent.append(record)
        kept_after = time.time() - self.USER_BLOCKS_KEPT_S
        mine = [old for old in self._by_user.get(record.user_id, []) if old.at >= kept_after]
        mine.append(record)
        mine.sort(key=lambda block: block.at)
        self._by_user[record.user_id] = mine

    async def recent_blocks(self, limit: int) -> list[BlockRecord]:
        return list(reversed(self._recent))[: max(0, limit)]

    async def blocks_since(self, user_id: int, since: float) -> list[BlockRecord]:
        return [block for block in self._by_user.get(user_id, []) if block.at >= since]

    async def ban(self, user_id: int) -> bool:
        if user_id in self._bans:
            return False
        self._bans.add(user_id)
        return True

    async def unban(self, user_id: int) -> bool:
        if user_id not in self._bans:
            return False
        self._bans.discard(user_id)
        return True

    async def is_banned(self, user_id: int) -> bool:
        return user_id in self._bans

    async def banned(self) -> list[int]:
        return sorted(self._bans)
