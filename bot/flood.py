"""Telegram's flood control, waited out per chat.

python-telegram-bot's ``AIORateLimiter`` paces sends (overall and per group) well, but a
429 for one chat makes it pause every request of the process until that chat's
``retry_after`` has passed: one flooding user would hold up every other user's answers
(measured: another chat's /generate went from 0.19 s to 9.8 s). Telegram's limits that
answer 429 here are per chat, so :class:`PerChatRateLimiter` keeps the pacing and pauses
only the chat the 429 was for: its later calls wait, everyone else's go on. A refused call
was not carried out, so retrying it cannot double it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = structlog.get_logger(__name__)

MAX_PAUSED_CHATS = 10_000  # expired pauses are forgotten past this many
JSONDict = dict[str, Any]
Answer = bool | JSONDict | list[JSONDict]


def _seconds(error: RetryAfter) -> float:
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


class PerChatRateLimiter(AIORateLimiter):
    def __init__(self, *, max_retries: int, **pacing: Any) -> None:
        super().__init__(max_retries=max_retries, **pacing)
        self._retries = max_retries
        self._paused_until: dict[int | str, float] = {}  # chat id: monotonic time

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
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isascii():
            chat_id = int(chat_id) if chat_id.lstrip("-").isdecimal() else chat_id
        key = chat_id if isinstance(chat_id, int | str) else None
        group = key if (isinstance(key, int) and key < 0) or isinstance(key, str) else False
        for attempt in range(retries + 1):
            await self._wait_while_paused(key)
            try:
                # The base class's pacing (overall, per group); its process-wide pause on
                # a 429 is never set here.
                return await self._run_request(
                    chat=key is not None,
                    group=group,
                    allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
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
