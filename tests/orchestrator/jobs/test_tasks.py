"""Background task groups: shutdown waits for them, but never forever."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from orchestrator.jobs.tasks import TaskGroup


async def test_drain_waits_for_tasks_that_finish_within_the_grace() -> None:
    group = TaskGroup("test")
    finished: list[str] = []

    async def short() -> None:
        await asyncio.sleep(0.05)
        finished.append("short")

    group.spawn(short())
    await group.drain(5)
    assert finished == ["short"]
    assert len(group) == 0


async def test_drain_leaves_behind_a_task_that_ignores_cancellation_and_says_where() -> None:
    group = TaskGroup("test")
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    task = group.spawn(stubborn())
    with capture_logs() as logs:
        async with asyncio.timeout(5):  # without the bound, drain would never return
            await group.drain(0.05, cancel_wait_s=0.1)

    (stuck,) = [entry for entry in logs if entry["event"] == "task_not_stopped"]
    assert stuck["group"] == "test"
    assert any("stubborn" in place for place in stuck["at"])
    assert not task.done()
    release.set()
    task.cancel()
    await task
