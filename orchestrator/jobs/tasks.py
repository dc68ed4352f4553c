"""Background tasks that are kept referenced until they finish, and can be drained."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)

CANCEL_WAIT_S = 5.0


def where(task: asyncio.Task[Any]) -> list[str]:
    """Where a suspended task is waiting, outermost first (``Task.get_stack`` stops at
    the task's own coroutine; this follows what it awaits)."""
    places = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            places.append(f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} {code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return places


class TaskGroup:
    """Fire-and-forget with a memory: the event loop only keeps weak references to
    tasks, so an unreferenced task can vanish mid-flight. This keeps them, logs their
    failures, and lets shutdown wait for them."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background_task_failed", group=self._name, exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def drain(self, timeout_s: float, cancel_wait_s: float = CANCEL_WAIT_S) -> None:
        """Wait up to ``timeout_s`` for the tasks, then cancel what is left and wait up to
        ``cancel_wait_s`` more. A task still running then is logged with where it waits
        and left behind: shutdown must end."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        if not pending:
            return
        _, stuck = await asyncio.wait(pending, timeout=cancel_wait_s)
        for task in stuck:
            log.error("task_not_stopped", group=self._name, task=task.get_name(), at=where(task))
