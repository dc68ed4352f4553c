"""A job's status message only moves forward: accepted → waiting in line (fewer and fewer
ahead) → being made (its seconds counting up) → the result or a failure (a job cancelled
while it waited goes from waiting straight to ended).

Whoever changes the status message (the queue-position display in the process that
queued the job, or the worker that runs it, maybe in another process) first records
what it is about to show; an update that would go back (waiting after being made, more
jobs ahead than shown) is dropped. The record is kept in the state store with the job's
deadline, so every process sees it.
"""

from __future__ import annotations

from enum import IntEnum

from state.base import StateStore


class Stage(IntEnum):
    WAITING = 1
    RUNNING = 2
    ENDED = 3  # a job cancelled while it waited: failed without being made


def stage_mark(job_id: str) -> str:
    return f"status-stage:{job_id}"


def _read(value: str | None) -> tuple[int, int | None]:
    """The stage and (waiting) the number ahead shown; (0, None) when nothing was."""
    stage, _, ahead = (value or "").partition(":")
    if not stage.isdigit():
        return 0, None
    return int(stage), int(ahead) if ahead.isdigit() else None


async def advance(
    store: StateStore, job_id: str, stage: Stage, ttl_s: float, ahead: int | None = None
) -> bool:
    """Record that the status message is about to show ``stage`` (``ahead`` jobs before it
    while waiting); False, recording nothing, when that would go back."""
    shown_stage, shown_ahead = _read(await store.recall(stage_mark(job_id)))
    if stage < shown_stage:
        return False
    if (
        stage == shown_stage == Stage.WAITING
        and shown_ahead is not None
        and (ahead is None or ahead > shown_ahead)
    ):
        return False
    value = f"{int(stage)}:{'' if ahead is None else ahead}"
    await store.remember(stage_mark(job_id), value, ttl_s)
    return True


async def is_running(store: StateStore, job_id: str) -> bool:
    shown_stage, _ = _read(await store.recall(stage_mark(job_id)))
    return shown_stage == Stage.RUNNING


async def past_waiting(store: StateStore, job_id: str) -> bool:
    """Whether the status message has moved on from waiting (being made, or ended)."""
    shown_stage, _ = _read(await store.recall(stage_mark(job_id)))
    return shown_stage > Stage.WAITING
