"""The state store and job queue, from settings."""

from __future__ import annotations

from orchestrator.settings import Settings
from state.base import JobQueue, StateStore
from state.memory import MemoryJobQueue, MemoryStateStore


def build_state(settings: Settings) -> tuple[StateStore, JobQueue]:
    return MemoryStateStore(), MemoryJobQueue()
