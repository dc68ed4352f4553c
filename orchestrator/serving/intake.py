"""Requests taken in: once per mark across every process, then handled in the background,
one at a time per lane (a chat), a bounded number at once.

The mark is owned by the request that took it and asked for again, briefly, when the
store's answer is lost: a mark that reached Redis with its reply dropped would otherwise
make the sender's re-sent copy look like a repeat, and the request be lost.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable

import structlog

from orchestrator.jobs.outage import through_outage
from orchestrator.jobs.tasks import TaskGroup
from orchestrator.serving.lanes import Lanes
from orchestrator.serving.metrics import LANE_DROPPED
from orchestrator.settings import Settings
from state.base import StateStore
from state.errors import StateUnavailable

log = structlog.get_logger(__name__)

REQUEST_DEDUP_TTL_S = 48 * 3600.0  # Telegram keeps re-sending for up to 24 h
REQUEST_MARK_RETRY_S = 1.0  # then the front end answers 503 and the sender tries again


class Intake:
    def __init__(self, store: StateStore, settings: Settings) -> None:
        self._store = store
        self.tasks = TaskGroup("updates")
        self._slots = asyncio.Semaphore(settings.max_concurrent_updates)
        self._lanes = Lanes(settings.max_waiting_per_chat)
        # Who owns a request's mark: this intake, then the request's number.
        self._owner, self._numbers = f"{uuid.uuid4().hex}:", itertools.count()

    async def accept(
        self, mark: str, work: Callable[[], Awaitable[None]], lane: str | None = None
    ) -> bool:
        """Run ``work`` in the background once per ``mark``; False for a repeat.

        ``lane`` (e.g. ``chat:<id>``): requests of one lane run one at a time, a bounded
        number waiting (``MAX_WAITING_PER_CHAT``; see ``orchestrator.serving.lanes``); past
        that the request is dropped, and still True (it was not a repeat).
        """
        request = f"{self._owner}{next(self._numbers)}"  # unique, and cheap to make

        def take() -> Awaitable[bool]:
            return self._store.take_mark(mark, request, REQUEST_DEDUP_TTL_S)

        try:  # the retrying machinery only when needed: this is every request's path
            taken = await take()
        except StateUnavailable:
            taken = await through_outage(take, REQUEST_MARK_RETRY_S)
        if not taken:
            return False
        if lane is not None and not self._lanes.reserve(lane):
            LANE_DROPPED.inc()
            log.warning("request_dropped_backlog", lane=lane)
            return True
        self.tasks.spawn(self._handle(work, lane))
        return True

    async def _handle(self, work: Callable[[], Awaitable[None]], lane: str | None) -> None:
        # A burst of requests waits here for its turn instead of all racing for the front
        # end's connection pool (a request that times out waiting for a connection fails,
        # and its user would get no answer). A lane's requests take one slot at a time.
        if lane is None:
            async with self._slots:
                await work()
            return
        async with self._lanes.turn(lane), self._slots:
            await work()
