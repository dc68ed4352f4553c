"""The job queue on a Redis Stream read through one consumer group.

Every process that enqueues adds an entry (``XADD``); every worker process is a consumer
of the ``workers`` group and claims new entries with ``XREADGROUP``. A claimed entry stays
in the group's pending list until acknowledged (``XACK``, then ``XDEL`` so the stream only
holds unfinished jobs). A worker that dies leaves its entry pending; once the entry has
been idle for the visibility timeout another worker takes it over with ``XAUTOCLAIM``.
A live worker keeps its entries from going idle by touching them while it works.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from cachetools import TTLCache
from redis import exceptions as redis_errors
from redis.asyncio import Redis

from state.base import JobQueue
from state.models import Job
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys
from state.redis_scripts import DELETE_IDLE_CONSUMER, TOUCH

JOB_FIELD = "job"
MAX_TRACKED = 100_000
TRACK_FOR_S = 24 * 3600.0
RECLAIM_SCAN_ROUNDS = 10  # pages of the pending list looked at per claim
POSITION_SCAN_LIMIT = 10_000
HAND_BACK_LIMIT = 1_000  # entries a stopping consumer looks at; a worker holds a few


def consumer_name() -> str:
    """Unique per process, readable in ``XINFO CONSUMERS``: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RedisJobQueue(JobQueue):
    durable = True

    def __init__(self, client: Redis, keys: RedisKeys, visibility_timeout_s: float) -> None:
        self._client = client
        self._stream = keys.job_stream
        self._group = keys.WORKERS_GROUP
        self._visibility_ms = max(1, round(visibility_timeout_s * 1000))
        self.consumer = consumer_name()
        self._touch = client.register_script(TOUCH)
        self._delete_idle_consumer = client.register_script(DELETE_IDLE_CONSUMER)
        # job id -> stream entry id: for jobs this process claimed (to ack them) and for
        # jobs it enqueued (to tell their queue position).
        self._claimed: dict[str, str] = {}
        self._enqueued: TTLCache[str, str] = TTLCache(maxsize=MAX_TRACKED, ttl=TRACK_FOR_S)
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        with translated_errors("queue start"):
            await self._create_group()
        self._started = True

    async def _create_group(self) -> None:
        try:
            await self._client.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except redis_errors.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):  # the group exists: another process made it
                raise

    async def stop(self) -> None:
        """Hand back what Redis gave this consumer that nobody here took up, then forget
        the consumer if it holds nothing. A job still claimed stays pending (for another
        worker after the visibility timeout).

        A claim cancelled while stopping may have been answered already: the entry is then
        pending under this consumer though no claim returned it. Left there, it would wait
        out the visibility timeout; handed back, it waits its turn with the rest of the queue.
        """
        if not self._started:
            return
        self._started = False
        try:
            with translated_errors("queue stop"):
                await self._hand_back_unclaimed()
                if not self._claimed:
                    await self._delete_idle_consumer(
                        keys=[self._stream], args=[self._group, self.consumer]
                    )
        except Exception:  # what is left stays pending: taken over after the timeout
            return

    async def _hand_back_unclaimed(self) -> None:
        pending: Any = await self._client.xpending_range(
            self._stream, self._group, "-", "+", HAND_BACK_LIMIT, consumername=self.consumer
        )
        working = set(self._claimed.values())
        for entry in pending:
            entry_id = entry["message_id"]
            if entry_id in working:
                continue
            found: Any = await self._client.xrange(self._stream, min=entry_id, max=entry_id)
            job_json = found[0][1].get(JOB_FIELD) if found else None
            await self._move_to_back(entry_id, job_json)

    async def _move_to_back(self, entry_id: str | None, job_json: str | None) -> str | None:
        """Settle ``entry_id`` (if any) and queue ``job_json`` (if any) anew, in one step;
        the new entry's id."""
        async with self._client.pipeline(transaction=True) as pipe:
            if entry_id is not None:
                pipe.xack(self._stream, self._group, entry_id)
                pipe.xdel(self._stream, entry_id)
            if job_json is not None:
                pipe.xadd(self._stream, {JOB_FIELD: job_json})
            answers = await pipe.execute()
        return str(answers[-1]) if job_json is not None else None

    async def enqueue(self, job: Job) -> None:
        with translated_errors("enqueue"):
            entry_id = str(
                await self._client.xadd(self._stream, {JOB_FIELD: job.model_dump_json()})
            )
        self._enqueued[job.id] = entry_id

    async def claim(self, timeout_s: float) -> Job | None:
        with translated_errors("claim"):
            try:
                return await self._claim(timeout_s)
            except redis_errors.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
            # The stream is gone (Redis restarted without persistence, or it was
            # deleted): make it again, and claim on the next call.
            await self._create_group()
        return None

    async def _claim(self, timeout_s: float) -> Job | None:
        job = await self._reclaim_abandoned()
        if job is not None:
            return job
        answer: Any = await self._client.xreadgroup(
            self._group,
            self.consumer,
            {self._stream: ">"},
            count=1,
            block=max(1, round(timeout_s * 1000)),
        )
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                job = await self._take(entry_id, fields)
                if job is not None:
                    return job
        return None

    async def _reclaim_abandoned(self) -> Job | None:
        cursor = "0-0"
        for _ in range(RECLAIM_SCAN_ROUNDS):
            answer: Any = await self._client.xautoclaim(
                self._stream, self._group, self.consumer, self._visibility_ms, cursor, count=1
            )
            cursor, entries = answer[0], answer[1]
            for entry_id, fields in entries:
                job = await self._take(entry_id, fields)
                if job is not None:
                    return job
            if cursor == "0-0":
                return None
        return None

    async def _take(self, entry_id: str, fields: dict[str, str] | None) -> Job | None:
        if not fields or JOB_FIELD not in fields:  # deleted under us: nothing to run
            await self._client.xack(self._stream, self._group, entry_id)
            return None
        job = Job.model_validate_json(fields[JOB_FIELD])
        self._claimed[job.id] = entry_id
        return job

    async def ack(self, job_id: str) -> None:
        entry_id = self._claimed.get(job_id)
        if entry_id is None:
            return
        with translated_errors("ack"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.xack(self._stream, self._group, entry_id)
                pipe.xdel(self._stream, entry_id)
                await pipe.execute()
        self._claimed.pop(job_id, None)  # only now: a failed ack can be tried again

    async def touch(self, job_id: str) -> bool:
        entry_id = self._claimed.get(job_id)
        if entry_id is None:
            return False
        with translated_errors("touch"):
            kept = await self._touch(
                keys=[self._stream], args=[self._group, self.consumer, entry_id]
            )
        return bool(kept)

    async def requeue(self, job: Job) -> None:
        entry_id = self._claimed.pop(job.id, None)
        with translated_errors("requeue"):
            new_entry_id = await self._move_to_back(entry_id, job.model_dump_json())
        assert new_entry_id is not None
        self._enqueued[job.id] = new_entry_id

    async def pending(self) -> int:
        with translated_errors("pending"):
            return int(await self._client.xlen(self._stream))

    async def position(self, job_id: str) -> int | None:
        entry_id = self._enqueued.get(job_id)
        if entry_id is None:
            return None
        with translated_errors("position"):
            groups = await self._client.xinfo_groups(self._stream)
            last = next((g["last-delivered-id"] for g in groups if g["name"] == self._group), None)
            if last is None:
                return None
            if _entry_key(entry_id) <= _entry_key(last):
                self._enqueued.pop(job_id, None)  # handed to a worker: no longer waiting
                return None
            ahead = await self._client.xrange(
                self._stream, min=f"({last}", max=f"({entry_id}", count=POSITION_SCAN_LIMIT
            )
        return len(ahead or [])


def _entry_key(entry_id: str) -> tuple[int, int]:
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)
