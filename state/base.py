"""The state store interface: everything the bot remembers goes through it.

Contract for every implementation (memory now, Redis later):

- ``start()`` and ``stop()`` are idempotent; ``stop()`` releases every resource.
- ``ping()`` is True when the backing store answers (always, in memory).
- ``first_sighting(key, ttl_s)`` is an atomic test-and-set: it returns True exactly once
  per key within ``ttl_s`` seconds, however many callers race on it. It is what
  de-duplicates Telegram's re-sent updates.
- ``save_job`` stores a job by id, replacing any earlier version; ``get_job`` returns the
  latest saved version or None.
- The job queue hands each enqueued job to one ``claim()`` caller; ``ack(job_id)`` marks it
  done. ``claim`` waits up to ``timeout_s`` and returns None when nothing came.
  ``pending()`` counts jobs enqueued and not yet acknowledged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from state.models import Job


class StateStore(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def ping(self) -> bool: ...

    @abstractmethod
    async def first_sighting(self, key: str, ttl_s: float) -> bool: ...

    @abstractmethod
    async def save_job(self, job: Job) -> None: ...

    @abstractmethod
    async def get_job(self, job_id: str) -> Job | None: ...


class JobQueue(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def enqueue(self, job: Job) -> None: ...

    @abstractmethod
    async def claim(self, timeout_s: float) -> Job | None: ...

    @abstractmethod
    async def ack(self, job_id: str) -> None: ...

    @abstractmethod
    async def pending(self) -> int: ...
