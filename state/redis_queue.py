"""The job queue on Redis: fair lines for waiting jobs, a Stream for claimed ones.

Waiting jobs sit in per-tier, per-user lines (``state/redis_queue_scripts.py``), and one
Lua script (``PICK``) chooses the next by the rules of ``state/scheduling.py`` for every
worker process at once. The same script adds the chosen job to a Redis Stream and reads
it through the ``workers`` consumer group as the claiming process, so from then on a job
is a pending stream entry: acknowledged when done (``XACK``, then ``XDEL`` so the stream
only holds unfinished jobs), touched while worked on, and taken over with ``XAUTOCLAIM``
by another worker once idle for the visibility timeout (its worker died). Idle claimers
block on a wake list that every enqueue pushes a token to.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from state.base import JobQueue
from state.models import Job, Tier
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys
from state.redis_queue_scripts import ENQUEUE, PICK, POSITION
from state.redis_scripts import DELETE_IDLE_CONSUMER, TOUCH
from state.scheduling import TIER_ORDER, TierPolicy, predict_position

JOB_FIELD = "job"
RECLAIM_SCAN_ROUNDS = 10  # pages of the pending list looked at per claim
POSITION_RING_LIMIT = 2_000  # users of a tier read to predict a position
HAND_BACK_LIMIT = 1_000  # entries a stopping consumer looks at; a worker holds a few
# An idle claimer wakes at least this often, to take over jobs whose worker died.
WAKE_EVERY_S = 1.0
MIN_WAIT_S = 0.01


def consumer_name() -> str:
    """Unique per process, readable in ``XINFO CONSUMERS``: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RedisJobQueue(JobQueue):
    durable = True

    def __init__(
        self,
        client: Redis,
        keys: RedisKeys,
        visibility_timeout_s: float,
        policy: TierPolicy | None = None,
    ) -> None:
        self._client = client
        self._keys = keys
        self._stream = keys.job_stream
        self._group = keys.WORKERS_GROUP
        self._visibility_ms = max(1, round(visibility_timeout_s * 1000))
        self.policy = policy or TierPolicy()
        self.consumer = consumer_name()
        self._touch = client.register_script(TOUCH)
        self._delete_idle_consumer = client.register_script(DELETE_IDLE_CONSUMER)
        self._enqueue = client.register_script(ENQUEUE)
        self._pick = client.register_script(PICK)
        self._position = client.register_script(POSITION)
        waits = [round(self.policy.max_wait_s[tier] * 1000) for tier in TIER_ORDER]
        shares = [row.get(tier, 0) for row in self.policy.share_table for tier in TIER_ORDER]
        self._pick_args: list[str | int] = [
            keys.queue_prefix,
            self._stream,
            self._group,
            self.consumer,
            *waits,
            *shares,
        ]
        # job id -> stream entry id, for jobs this process claimed (to ack them).
        self._claimed: dict[str, str] = {}
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
            job = Job.model_validate_json(job_json) if job_json is not None else None
            await self._hand_back(entry_id, job)

    async def _hand_back(self, entry_id: str | None, job: Job | None) -> None:
        """Settle ``entry_id`` (if any) and put ``job`` (if any) first in its user's line,
        in one step."""
        async with self._client.pipeline(transaction=True) as pipe:
            if entry_id is not None:
                pipe.xack(self._stream, self._group, entry_id)
                pipe.xdel(self._stream, entry_id)
            if job is not None:
                await self._enqueue(args=self._enqueue_args(job, front=True), client=pipe)
            await pipe.execute()

    def _enqueue_args(self, job: Job, *, front: bool) -> list[str]:
        tier = (job.tier or Tier.RELAX).value
        payload = job.model_dump_json()
        return [self._keys.queue_prefix, job.id, tier, str(job.user_id), payload, str(int(front))]

    async def enqueue(self, job: Job) -> None:
        with translated_errors("enqueue"):
            await self._enqueue(args=self._enqueue_args(job, front=False))

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
        deadline = time.monotonic() + timeout_s
        while True:
            job = await self._reclaim_abandoned()
            if job is not None:
                return job
            picked = await self._pick_entry()
            if picked is not None:
                job = await self._take(picked[0], {JOB_FIELD: picked[1]} if picked[1] else None)
                if job is not None:
                    return job
                continue
            left = deadline - time.monotonic()
            if left < MIN_WAIT_S:  # Redis reads a timeout under a millisecond as "for ever"
                return None
            await self._client.blpop([self._keys.queue_wake], timeout=min(left, WAKE_EVERY_S))

    async def _pick_entry(self) -> tuple[str, str | None] | None:
        """The next job by the fair rules, now pending under this consumer: its entry id
        and JSON. Recorded nowhere in this process: ``_take`` does that."""
        answer: Any = await self._pick(args=self._pick_args)
        if not answer:
            return None
        return str(answer[0]), answer[1] or None

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
            await self._hand_back(entry_id, job)

    async def pending(self) -> int:
        with translated_errors("pending"):
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.xlen(self._stream)
                pipe.hlen(self._keys.queue_jobs)
                claimed, waiting = await pipe.execute()
        return int(claimed) + int(waiting)

    async def running(self) -> int:
        with translated_errors("running"):
            summary: Any = await self._client.xpending(self._stream, self._group)
        return int(summary["pending"])

    async def position(self, job_id: str) -> int | None:
        with translated_errors("position"):
            answer: Any = await self._position(
                args=[self._keys.queue_prefix, job_id, POSITION_RING_LIMIT]
            )
        if not answer:
            return None
        tier, index, ring_index, lengths, counts, credit = answer
        lengths = [int(n) for n in lengths]
        if int(ring_index) < 0:  # further round the ring than was read: last of those
            ring_index = len(lengths)
            lengths.append(int(index) + 1)
        return predict_position(
            self.policy,
            Tier(tier),
            lengths,
            int(ring_index),
            int(index),
            dict(zip(TIER_ORDER, map(int, counts), strict=True)),
            dict(zip(TIER_ORDER, map(int, credit), strict=True)),
        )
