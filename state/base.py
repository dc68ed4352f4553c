"""The state store interface: everything the bot remembers goes through it.

Two implementations keep the same contract: memory (one process, the embedded default)
and Redis (any number of processes on any number of machines). Contract:

- ``start()`` and ``stop()`` are idempotent; ``stop()`` releases every resource.
- ``ping()`` is True when the backing store answers within a second (always, in memory);
  it never raises. Every other operation raises ``state.errors.StateUnavailable`` when
  the backing store cannot be reached, and nothing else of the backend's own.
- ``first_sighting(key, ttl_s)`` is an atomic test-and-set: it returns True exactly once
  per key within ``ttl_s`` seconds, however many callers in however many processes race on
  it. It de-duplicates Telegram's re-sent updates and marks a job's delivery.
- ``save_job`` stores a job by id, replacing any earlier version; ``get_job`` returns the
  latest saved version or None. Jobs are kept for days, then forgotten.
- ``admit(ticket, limits, cap)`` admits one request or refuses it, atomically across
  processes: every :class:`Limit` is a sliding window (at most ``max_hits`` admissions in
  any ``window_s`` seconds for its ``key``), and ``cap`` bounds the tickets in flight. It is
  all or nothing: a refused request consumes no window and no slot, and raises
  ``state.errors.RateLimited`` naming the first limit that refused it (windows in the
  order given, then the cap) and when to retry. An admitted ticket holds an in-flight
  slot until ``release(ticket)`` (idempotent) or until its lease runs out, so a slot whose
  holder died frees itself. The clock is the backing store's, so machines may disagree.
- ``incr_counter(name, by, day)`` adds to a named counter (``day``: a per-day bucket of it,
  kept about a year) and returns the new value; ``get_counter`` reads one (0 if never set).
- ``get_user_settings`` returns a user's saved settings (empty if none); ``set_user_settings``
  merges string values into them.
- ``remember_sent_image`` keeps, for ``ttl_s`` seconds, which job made the image in a chat
  message; ``find_sent_image`` returns it or None.

The payment ledger (issue 5) is meant to sit beside these as its own ABC here, implemented
in the same two modules on the same connection and key builder: each movement applied once
per idempotency key, balance checks and writes in one atomic step (a Lua script in Redis).

The job queue hands work from the processes that take requests to those that run them:

- ``enqueue(job)`` makes the job claimable; ``claim(timeout_s)`` hands each job to one
  caller, waiting up to ``timeout_s``, and returns None when nothing came.
- ``ack(job_id)`` marks a claimed job done; it is not handed out again.
- ``touch(job_id)`` tells the queue the claimer is still working on it; False when the
  job is no longer this claimer's (it was handed to another).
- ``requeue(job)`` gives a claimed job back so that another claimer takes it at once.
- ``pending()`` counts jobs enqueued and not yet acknowledged; ``position(job_id)`` is how
  many jobs wait ahead of a waiting job (0: next), None when it is not waiting or unknown
  to this process.
- ``durable`` queues (Redis) keep jobs when every process stops, and a job claimed and
  not acknowledged nor touched for the visibility timeout is handed out again. A queue
  that is not durable (memory) loses what it holds with its process, so its owner drains
  it before stopping.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from state.models import Job, SentImage

BUSY_RETRY_AFTER_S = 20.0  # a hint only: nobody knows when a job in flight will finish


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_hits`` admissions in any ``window_s`` seconds for ``key``."""

    scope: str  # what the refusal names, e.g. "user" or "chat"
    key: str  # whose budget, e.g. "user:42"
    max_hits: int
    window_s: float


@dataclass(frozen=True, slots=True)
class InFlightCap:
    """At most ``max_jobs`` tickets in flight (None: count them, refuse none)."""

    max_jobs: int | None
    lease_s: float  # a ticket not released by then is dropped (its holder died)
    retry_after_s: float = BUSY_RETRY_AFTER_S


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

    @abstractmethod
    async def admit(self, ticket: str, limits: Sequence[Limit], cap: InFlightCap) -> None: ...

    @abstractmethod
    async def release(self, ticket: str) -> None: ...

    @abstractmethod
    async def in_flight(self) -> int: ...

    @abstractmethod
    async def incr_counter(self, name: str, by: int = 1, day: dt.date | None = None) -> int: ...

    @abstractmethod
    async def get_counter(self, name: str, day: dt.date | None = None) -> int: ...

    @abstractmethod
    async def get_user_settings(self, user_id: int) -> dict[str, str]: ...

    @abstractmethod
    async def set_user_settings(self, user_id: int, values: Mapping[str, str]) -> None: ...

    @abstractmethod
    async def remember_sent_image(self, image: SentImage, ttl_s: float) -> None: ...

    @abstractmethod
    async def find_sent_image(self, chat_id: int, message_id: int) -> SentImage | None: ...


class JobQueue(ABC):
    durable: bool

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
    async def touch(self, job_id: str) -> bool: ...

    @abstractmethod
    async def requeue(self, job: Job) -> None: ...

    @abstractmethod
    async def pending(self) -> int: ...

    @abstractmethod
    async def position(self, job_id: str) -> int | None: ...
