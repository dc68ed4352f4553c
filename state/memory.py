"""In-process state: the embedded default when no REDIS_URL is set."""

from __future__ import annotations

import asyncio
import time

from cachetools import TTLCache

from state.base import JobQueue, StateStore
from state.models import Job

# Bounds keep memory flat whatever the traffic; entries also expire by age.
MAX_REMEMBERED_KEYS = 1_000_000
MAX_REMEMBERED_JOBS = 100_000
JOB_RETENTION_S = 7 * 24 * 3600.0


class MemoryStateStore(StateStore):
    def __init__(self) -> None:
        # One TTL per key is needed, so keys are stored with their own expiry.
        self._seen: TTLCache[str, float] = TTLCache(maxsize=MAX_REMEMBERED_KEYS, ttl=float("inf"))
        self._jobs: TTLCache[str, Job] = TTLCache(maxsize=MAX_REMEMBERED_JOBS, ttl=JOB_RETENTION_S)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def first_sighting(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + ttl_s
        return True

    async def save_job(self, job: Job) -> None:
        self._jobs[job.id] = job.model_copy()

    async def get_job(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job.model_copy() if job is not None else None


class MemoryJobQueue(JobQueue):
    """An asyncio queue; jobs are lost with the process (use Redis to keep them)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._unacked: set[str] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def enqueue(self, job: Job) -> None:
        self._unacked.add(job.id)
        self._queue.put_nowait(job)

    async def claim(self, timeout_s: float) -> Job | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout_s)
        except TimeoutError:
            return None

    async def ack(self, job_id: str) -> None:
        self._unacked.discard(job_id)

    async def pending(self) -> int:
        return len(self._unacked)
