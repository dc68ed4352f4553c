"""A status message only moves forward (``orchestrator.jobs.status_stage``), on both state
backends: fewer ahead while waiting, then being made, never back."""

from __future__ import annotations

from typing import Any

from orchestrator.jobs.status_stage import Stage, advance, is_running, past_waiting
from state.backend import open_backend


async def test_a_status_only_moves_forward(state_backend: dict[str, Any]) -> None:
    prefix = state_backend.get("redis_key_prefix", "fulmine:")
    state = open_backend(state_backend.get("redis_url"), key_prefix=prefix)
    await state.start()
    try:
        store = state.store

        async def show(stage: Stage, ahead: int | None = None) -> bool:
            return await advance(store, "job-1", stage, 60, ahead)

        assert await show(Stage.WAITING, 3)
        assert await show(Stage.WAITING, 3)  # as many ahead (a shorter wait): still forward
        assert not await show(Stage.WAITING, 4)  # more ahead: back
        assert not await past_waiting(store, "job-1")  # refused, yet still waiting
        assert await show(Stage.WAITING, 1)
        assert not await is_running(store, "job-1")
        assert await show(Stage.RUNNING)
        assert await is_running(store, "job-1")
        assert not await show(Stage.WAITING, 0)  # waiting after being made: back
        assert await show(Stage.RUNNING)  # the seconds counting on
        assert await advance(store, "job-2", Stage.RUNNING, 60)  # each job its own
        assert await advance(store, "job-3", Stage.WAITING, 60, 2)
        assert await advance(store, "job-3", Stage.ENDED, 60)  # cancelled while it waited
        assert not await advance(store, "job-3", Stage.WAITING, 60, 1)
        assert not await advance(store, "job-3", Stage.RUNNING, 60)
        assert not await is_running(store, "job-3")
        assert await past_waiting(store, "job-3")
        assert await past_waiting(store, "job-1")
    finally:
        await state.stop()
