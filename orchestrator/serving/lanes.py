"""Requests of one sender (a chat) handled one at a time, with a bounded backlog.

A chat that Telegram holds under flood control makes every reply to it wait (a 429's
``retry_after``, seconds). Handled side by side, a flooding chat's requests would fill the
process's shared handling slots while they wait, and every other chat would wait behind
them. In a lane per chat, a chat's requests take turns: at most one shared slot waits on
that chat's flood control, and what queues behind it is bounded (``backlog``); beyond it a
chat's newest requests are dropped (acknowledged, logged and counted), not queued forever.
"""

from __future__ import annotations

import asyncio


class Lanes:
    def __init__(self, backlog: int) -> None:
        self._backlog = backlog
        self._locks: dict[str, asyncio.Lock] = {}
        self._held: dict[str, int] = {}  # requests in each lane, waiting or running

    def __len__(self) -> int:
        return len(self._held)

    def reserve(self, lane: str) -> bool:
        """A place in ``lane``; False when its backlog is full (drop the request)."""
        held = self._held.get(lane, 0)
        if held > self._backlog:  # one running, ``backlog`` waiting
            return False
        self._held[lane] = held + 1
        self._locks.setdefault(lane, asyncio.Lock())
        return True

    def turn(self, lane: str) -> _Turn:
        """Wait for the lane's turn (after :meth:`reserve`); the place is given back after.
        (A class, not a generator: this is on every update's path.)"""
        return _Turn(self, lane)

    def _release(self, lane: str) -> None:
        self._held[lane] -= 1
        if not self._held[lane]:  # nobody left: forget the lane
            del self._held[lane]
            del self._locks[lane]


class _Turn:
    __slots__ = ("_lane", "_lanes", "_lock")

    def __init__(self, lanes: Lanes, lane: str) -> None:
        self._lanes, self._lane = lanes, lane
        self._lock = lanes._locks[lane]

    async def __aenter__(self) -> None:
        try:
            await self._lock.acquire()
        except BaseException:  # cancelled while waiting: the place is given back all the same
            self._lanes._release(self._lane)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._lock.release()
        self._lanes._release(self._lane)
