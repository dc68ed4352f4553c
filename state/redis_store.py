"""The state store on Redis: shared by every process that points at the same Redis.

It owns the process's one connection pool (the job queue borrows it), closed on stop.
"""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from state.base import StateStore
from state.errors import BUSY_SCOPE, RateLimited
from state.models import InFlightCap, Job, Limit, MarkRecord, SentImage
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys
from state.redis_scripts import ADMIT, COUNT_ONLY, IN_FLIGHT, TAKE_MARK

JOB_RETENTION_S = 7 * 24 * 3600
PING_TIMEOUT_S = 1.0


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisStateStore(StateStore):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self.client = client
        self.keys = keys
        self._admit = client.register_script(ADMIT)
        self._in_flight = client.register_script(IN_FLIGHT)
        self._take_mark = client.register_script(TAKE_MARK)
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        with translated_errors("start"):
            await self.client.ping()
        self._started = True

    async def stop(self) -> None:
        # Idempotent: closing a closed pool does nothing. Always closed, even after a
        # failed start, so no connection outlives the store.
        self._started = False
        await self.client.aclose()

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                return bool(await self.client.ping())
        except Exception:  # down, slow or refusing: not ready, whatever the reason
            return False

    async def first_sighting(self, key: str, ttl_s: float) -> bool:
        with translated_errors("first_sighting"):
            return bool(await self.client.set(self.keys.seen(key), 1, nx=True, px=_ms(ttl_s)))

    async def take_mark(self, key: str, owner: str, ttl_s: float) -> bool:
        # The same key as first_sighting's, so processes of the previous release (which
        # set "1" there) and this one keep honouring each other's marks during a deploy.
        with translated_errors("take_mark"):
            return bool(await self._take_mark(keys=[self.keys.seen(key)], args=[owner, _ms(ttl_s)]))

    async def save_job(self, job: Job) -> None:
        with translated_errors("save_job"):
            await self.client.set(self.keys.job(job.id), job.model_dump_json(), ex=JOB_RETENTION_S)

    async def get_job(self, job_id: str) -> Job | None:
        with translated_errors("get_job"):
            raw = await self.client.get(self.keys.job(job_id))
        return Job.model_validate_json(raw) if raw is not None else None

    async def admit(self, ticket: str, limits: Sequence[Limit], cap: InFlightCap) -> None:
        keys = [self.keys.in_flight, *(self.keys.window(limit.key) for limit in limits)]
        args: list[str | int] = [
            ticket,
            COUNT_ONLY if cap.max_jobs is None else cap.max_jobs,
            _ms(cap.lease_s),
        ]
        for limit in limits:
            args += [limit.max_hits, _ms(limit.window_s)]
        with translated_errors("admit"):
            refused_by, retry_ms = await self._admit(keys=keys, args=args)
        if refused_by < 0:
            return
        if refused_by == 0:
            raise RateLimited(BUSY_SCOPE, cap.retry_after_s)
        raise RateLimited(limits[refused_by - 1].scope, max(0, retry_ms) / 1000)

    async def release(self, ticket: str) -> None:
        with translated_errors("release"):
            await self.client.zrem(self.keys.in_flight, ticket)

    async def forget_hits(self, ticket: str, keys: Sequence[str]) -> None:
        with translated_errors("forget_hits"):
            for key in keys:
                await self.client.zrem(self.keys.window(key), ticket)

    async def in_flight(self) -> int:
        with translated_errors("in_flight"):
            return int(await self._in_flight(keys=[self.keys.in_flight]))

    async def get_user_settings(self, user_id: int) -> dict[str, str]:
        with translated_errors("get_user_settings"):
            values = await self.client.hgetall(self.keys.user_settings(user_id))
        return {str(name): str(value) for name, value in values.items()}

    async def set_user_settings(self, user_id: int, values: Mapping[str, str]) -> None:
        if not values:
            return
        with translated_errors("set_user_settings"):
            mapping: dict[Any, Any] = dict(values)
            await self.client.hset(self.keys.user_settings(user_id), mapping=mapping)

    async def forget_user_settings(self, user_id: int) -> None:
        with translated_errors("forget_user_settings"):
            await self.client.delete(self.keys.user_settings(user_id))

    async def remember(self, key: str, value: str, ttl_s: float) -> None:
        with translated_errors("remember"):
            await self.client.set(self.keys.kept(key), value, px=_ms(ttl_s))

    async def recall(self, key: str) -> str | None:
        with translated_errors("recall"):
            raw = await self.client.get(self.keys.kept(key))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def remember_sent_image(self, image: SentImage, ttl_s: float) -> None:
        key = self.keys.sent_image(image.chat_id, image.message_id)
        with translated_errors("remember_sent_image"):
            await self.client.set(key, image.model_dump_json(), px=_ms(ttl_s))

    async def find_sent_image(self, chat_id: int, message_id: int) -> SentImage | None:
        with translated_errors("find_sent_image"):
            raw = await self.client.get(self.keys.sent_image(chat_id, message_id))
        return SentImage.model_validate_json(raw) if raw is not None else None

    async def remember_mark(self, record: MarkRecord, ttl_s: float) -> None:
        with translated_errors("remember_mark"):
            key = self.keys.mark(record.payload)
            await self.client.set(key, record.model_dump_json(), px=_ms(ttl_s))

    async def find_mark(self, payload: int) -> MarkRecord | None:
        with translated_errors("find_mark"):
            raw = await self.client.get(self.keys.mark(payload))
        return MarkRecord.model_validate_json(raw) if raw is not None else None

    async def keep_original(self, job_id: str, index: int, data: bytes, ttl_s: float) -> None:
        # The connection decodes replies as text: the bytes travel as base64.
        with translated_errors("keep_original"):
            encoded = base64.b64encode(data).decode("ascii")
            await self.client.set(self.keys.original(job_id, index), encoded, px=_ms(ttl_s))

    async def find_original(self, job_id: str, index: int) -> bytes | None:
        with translated_errors("find_original"):
            raw = await self.client.get(self.keys.original(job_id, index))
        return base64.b64decode(raw) if raw is not None else None
