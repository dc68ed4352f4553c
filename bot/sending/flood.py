"""Telegram's limits, paced across processes; its flood control waited out per chat.

Telegram answers 429 past about 30 messages a second per bot, 1 a second per chat (short
bursts allowed) and 20 a minute per group. :class:`SharedPaceLimiter` reserves every
message sent or changed (send*, edit*, copy*, forward*, stop*; chat actions keep their
own budget) a slot in the shared :class:`state.base.SendPacer` first: the bot
overall, the chat, and the group when it is one: the chat's and group's slot first, then
the bot's (a call waiting for its chat holds no slot of the bot's that another chat could
use). On Redis that budget is one for every serve and worker process, so together they
stay under the limits instead of each process using them whole. Bursts are kept under
Telegram's own, so that the network's jitter cannot bunch paced calls past a limit.

A 429 that still comes pauses only the chat it was for (python-telegram-bot's
``AIORateLimiter`` would pause every request of the process: one flooding user would hold
up every other user's answers; measured: another chat's /generate went from 0.19 s to
9.8 s): its later calls wait, everyone else's go on, and the call is retried after
``retry_after``. A refused call was not carried out, so retrying it cannot double it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from state.base import SendPacer
from state.errors import StateError
from state.pacing import Bucket

log = structlog.get_logger(__name__)

MAX_PAUSED_CHATS = 10_000  # expired pauses are forgotten past this many
# Paced bursts, under Telegram's (it lets about a second's worth through at once overall,
# a few messages per chat, a minute's worth per group): the rest absorbs jitter.
OVERALL_BURST = 5
CHAT_BURST = 1
GROUP_BURST = 10
# A call that wakes this much after its slot (a stalled event loop) takes a new slot
# rather than go out bunched with every other late call; at most this many times.
LATE_S = 0.25
MAX_LATE_RESERVES = 3
_PACED = ("send", "edit", "copy", "forward", "stop")
_UNPACED = {"sendchataction"}
JSONDict = dict[str, Any]
Answer = bool | JSONDict | list[JSONDict]


def _seconds(error: RetryAfter) -> float:
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def _chat_key(data: dict[str, Any]) -> int | str | None:
    chat_id = data.get("chat_id")
    if isinstance(chat_id, str) and chat_id.lstrip("-").isascii():
        chat_id = int(chat_id) if chat_id.lstrip("-").isdecimal() else chat_id
    return chat_id if isinstance(chat_id, int | str) else None


class SharedPaceLimiter(BaseRateLimiter[int]):
    """``per_s`` messages a second overall, ``chat_per_s`` per chat and ``group_per_min``
    per group (0: that scope unpaced), reserved in ``pacer``; ``max_retries`` 429s
    waited out per call."""

    def __init__(
        self,
        pacer: SendPacer,
        *,
        max_retries: int,
        per_s: float,
        chat_per_s: float,
        group_per_min: float,
    ) -> None:
        self._pacer = pacer
        self._retries = max_retries
        self._per_s, self._chat_per_s, self._group_per_s = per_s, chat_per_s, group_per_min / 60
        self._paused_until: dict[int | str, float] = {}  # chat id: monotonic time

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def buckets(self, endpoint: str, key: int | str | None) -> list[Bucket]:
        """The budgets a call to ``endpoint`` for chat ``key`` takes a slot of."""
        name = endpoint.lower()
        if key is None or name in _UNPACED or not name.startswith(_PACED):
            return []
        found = []
        if self._per_s > 0:
            found.append(Bucket("all", self._per_s, OVERALL_BURST))
        if self._chat_per_s > 0:
            found.append(Bucket(f"chat:{key}", self._chat_per_s, CHAT_BURST))
        group = (isinstance(key, int) and key < 0) or isinstance(key, str)
        if group and self._group_per_s > 0:
            found.append(Bucket(f"group:{key}", self._group_per_s, GROUP_BURST))
        return found

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        retries = rate_limit_args if rate_limit_args is not None else self._retries
        key = _chat_key(data)
        buckets = self.buckets(endpoint, key)
        for attempt in range(retries + 1):
            await self._wait_while_paused(key)
            await self._pace(buckets)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait_s = _seconds(exc) + 0.1
                log.info("telegram_flood_control", chat_id=key, retry_after_s=wait_s)
                if attempt == retries:
                    raise
                if key is None:  # a call for no chat: only this call waits
                    await asyncio.sleep(wait_s)
                else:
                    self._pause(key, wait_s)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _pace(self, buckets: list[Bucket]) -> None:
        # The chat's (and group's) slot first, then the bot's: reserved together, a call
        # waiting for its chat would hold the bot's budget, and every other chat, until then.
        for stage in (
            [b for b in buckets if b.key != "all"],
            [b for b in buckets if b.key == "all"],
        ):
            if not stage:
                continue
            for _ in range(MAX_LATE_RESERVES):
                try:
                    wait_s = await self._pacer.reserve(stage)
                except StateError as exc:  # unpaced beats unsent: a 429 still holds us back
                    log.warning("send_pace_unavailable", error=repr(exc))
                    return
                due = time.monotonic() + wait_s
                if wait_s > 0:
                    await asyncio.sleep(wait_s)
                if time.monotonic() - due <= LATE_S:
                    break
                # Woken late (a busy event loop): every call due meanwhile would go at once,
                # past the slack under Telegram's burst. This slot is gone; take a new one.

    def _pause(self, key: int | str, wait_s: float) -> None:
        if len(self._paused_until) >= MAX_PAUSED_CHATS:
            now = time.monotonic()
            self._paused_until = {k: t for k, t in self._paused_until.items() if t > now}
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), time.monotonic() + wait_s)

    async def _wait_while_paused(self, key: int | str | None) -> None:
        if key is None:
            return
        until = self._paused_until.get(key)
        if until is None:
            return
        left = until - time.monotonic()
        if left > 0:
            await asyncio.sleep(left)
        elif self._paused_until.get(key) == until:
            del self._paused_until[key]
