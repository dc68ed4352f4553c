"""In-process state: the embedded default when no REDIS_URL is set.

Everything here runs on one event loop without awaiting in the middle of an update, so
each operation is atomic the way the contract in ``state/base.py`` asks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping, Sequence

from cachetools import TTLCache

from state.base import JobQueue, StateStore
from state.errors import BUSY_SCOPE, RateLimited
from state.models import InFlightCap, Job, Limit, MarkRecord, SentImage, Tier
from state.scheduling import FairQueue, TierPolicy

# Bounds keep memory flat whatever the traffic; entries also expire by age.
MAX_REMEMBERED_KEYS = 1_000_000
MAX_REMEMBERED_JOBS = 100_000
MAX_RATE_WINDOWS = 100_000
MAX_ORIGINALS = 200  # signed files kept in memory (a few MB each)
MAX_KEPT_VALUES = 10_000
JOB_RETENTION_S = 7 * 24 * 3600.0
WINDOW_RETENTION_S = 3600.0  # longer than any rate window


class MemoryStateStore(StateStore):
    def __init__(self) -> None:
        # One TTL per key is needed, so keys are stored with their own expiry, and with
        # their holder (None: a plain sighting, which no owner matches).
        self._seen: TTLCache[str, tuple[float, str | None]] = TTLCache(
            maxsize=MAX_REMEMBERED_KEYS, ttl=float("inf")
        )
        self._jobs: TTLCache[str, str] = TTLCache(maxsize=MAX_REMEMBERED_JOBS, ttl=JOB_RETENTION_S)
        self._windows: TTLCache[str, deque[tuple[float, str]]] = TTLCache(
            maxsize=MAX_RATE_WINDOWS, ttl=WINDOW_RETENTION_S
        )
        self._in_flight: dict[str, float] = {}  # ticket -> lease expiry
        self._user_settings: dict[int, dict[str, str]] = {}
        self._sent: TTLCache[tuple[int, int], tuple[SentImage, float]] = TTLCache(
            maxsize=MAX_REMEMBERED_KEYS, ttl=float("inf")
        )
        self._marks: TTLCache[int, tuple[MarkRecord, float]] = TTLCache(
            maxsize=MAX_REMEMBERED_KEYS, ttl=float("inf")
        )
        # Signed files are large: the most recent few are kept.
        self._originals: TTLCache[tuple[str, int], tuple[bytes, float]] = TTLCache(
            maxsize=MAX_ORIGINALS, ttl=float("inf")
        )
        self._kept: TTLCache[str, tuple[str, float]] = TTLCache(
            maxsize=MAX_KEPT_VALUES, ttl=float("inf")
        )

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def first_sighting(self, key: str, ttl_s: float) -> bool:
        return self._take(key, None, ttl_s)

    async def take_mark(self, key: str, owner: str, ttl_s: float) -> bool:
        return self._take(key, owner, ttl_s)

    def _take(self, key: str, owner: str | None, ttl_s: float) -> bool:
        now = time.monotonic()
        held = self._seen.get(key)
        if held is not None and held[0] > now:
            return owner is not None and held[1] == owner
        self._seen[key] = (now + ttl_s, owner)
        return True

    # Jobs are kept serialized, as Redis keeps them: a caller's copy never aliases the
    # stored one, and (cheaper than a deep copy) pydantic does the copying.
    async def save_job(self, job: Job) -> None:
        self._jobs[job.id] = job.model_dump_json()

    async def get_job(self, job_id: str) -> Job | None:
        stored = self._jobs.get(job_id)
        return Job.model_validate_json(stored) if stored is not None else None

    async def admit(self, ticket: str, limits: Sequence[Limit], cap: InFlightCap) -> None:
        now = time.monotonic()
        windows = []
        for limit in limits:
            hits = self._windows.get(limit.key) or deque()
            while hits and hits[0][0] <= now - limit.window_s:
                hits.popleft()
            if len(hits) >= limit.max_hits:
                oldest = hits[len(hits) - limit.max_hits][0] if limit.max_hits > 0 else now
                raise RateLimited(limit.scope, max(0.0, oldest + limit.window_s - now))
            windows.append((limit.key, hits))
        self._drop_expired_leases(now)
        full = cap.max_jobs is not None and len(self._in_flight) >= cap.max_jobs
        if full and ticket not in self._in_flight:
            raise RateLimited(BUSY_SCOPE, cap.retry_after_s)
        for key, hits in windows:
            hits.append((now, ticket))
            self._windows[key] = hits  # re-set: refreshes the entry's age
        self._in_flight[ticket] = now + cap.lease_s

    def _drop_expired_leases(self, now: float) -> None:
        for ticket in [t for t, expiry in self._in_flight.items() if expiry <= now]:
            del self._in_flight[ticket]

    async def release(self, ticket: str) -> None:
        self._in_flight.pop(ticket, None)

    async def forget_hits(self, ticket: str, keys: Sequence[str]) -> None:
        for key in keys:
            hits = self._windows.get(key)
            if hits:
                kept = deque(hit for hit in hits if hit[1] != ticket)
                self._windows[key] = kept

    async def in_flight(self) -> int:
        self._drop_expired_leases(time.monotonic())
        return len(self._in_flight)

    async def get_user_settings(self, user_id: int) -> dict[str, str]:
        return dict(self._user_settings.get(user_id, {}))

    async def set_user_settings(self, user_id: int, values: Mapping[str, str]) -> None:
        self._user_settings.setdefault(user_id, {}).update(values)

    async def forget_user_settings(self, user_id: int) -> None:
        self._user_settings.pop(user_id, None)

    async def remember(self, key: str, value: str, ttl_s: float) -> None:
        self._kept[key] = (value, time.monotonic() + ttl_s)

    async def recall(self, key: str) -> str | None:
        found = self._kept.get(key)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    async def remember_sent_image(self, image: SentImage, ttl_s: float) -> None:
        key = (image.chat_id, image.message_id)
        self._sent[key] = (image.model_copy(), time.monotonic() + ttl_s)

    async def find_sent_image(self, chat_id: int, message_id: int) -> SentImage | None:
        found = self._sent.get((chat_id, message_id))
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0].model_copy()

    async def remember_mark(self, record: MarkRecord, ttl_s: float) -> None:
        self._marks[record.payload] = (record.model_copy(), time.monotonic() + ttl_s)

    async def find_mark(self, payload: int) -> MarkRecord | None:
        found = self._marks.get(payload)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0].model_copy()

    async def keep_original(self, job_id: str, index: int, data: bytes, ttl_s: float) -> None:
        self._originals[(job_id, index)] = (data, time.monotonic() + ttl_s)

    async def find_original(self, job_id: str, index: int) -> bytes | None:
        found = self._originals.get((job_id, index))
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]


class MemoryJobQueue(JobQueue):
    """Jobs wait on this event loop, in the order of ``state/scheduling.py``; they are lost
    with the process, so the worker drains the queue before the process stops (use Redis
    to keep them)."""

    durable = False

    def __init__(self, policy: TierPolicy | None = None) -> None:
        self._waiting: FairQueue[Job] = FairQueue(policy or TierPolicy())
        self._arrived = asyncio.Condition()
        self._claimed: set[str] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def enqueue(self, job: Job) -> None:
        await self._push(job, front=False)

    async def _push(self, job: Job, *, front: bool) -> None:
        async with self._arrived:
            self._waiting.push(
                job.id,
                job.tier or Tier.RELAX,
                str(job.user_id),
                job.model_copy(deep=True),
                front=front,
            )
            self._arrived.notify()

    async def claim(self, timeout_s: float) -> Job | None:
        async with self._arrived:
            try:
                async with asyncio.timeout(timeout_s):
                    await self._arrived.wait_for(lambda: bool(self._waiting))
            except TimeoutError:
                return None
            job = self._waiting.pop()
        assert job is not None
        self._claimed.add(job.id)
        return job

    async def ack(self, job_id: str) -> None:
        self._claimed.discard(job_id)

    async def touch(self, job_id: str) -> bool:
        return job_id in self._claimed

    async def requeue(self, job: Job) -> None:
        self._claimed.discard(job.id)
        await self._push(job, front=True)

    async def pending(self) -> int:
        return len(self._waiting) + len(self._claimed)

    async def running(self) -> int:
        return len(self._claimed)

    async def position(self, job_id: str) -> int | None:
        return self._waiting.position(job_id)
