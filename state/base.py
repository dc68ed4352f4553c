"""The state store interface: everything the bot remembers goes through it.

Two implementations keep the same contract: memory (one process, the embedded default)
and Redis (any number of processes on any number of machines). Contract:

- ``start()`` and ``stop()`` are idempotent; ``stop()`` releases every resource.
- ``ping()`` is True when the backing store answers within a second (always, in memory);
  it never raises. Every other operation raises ``state.errors.StateUnavailable`` when
  the backing store cannot be reached, and nothing else of the backend's own.
- ``first_sighting(key, ttl_s)`` is an atomic test-and-set: it returns True exactly once
  per key within ``ttl_s`` seconds, however many callers in however many processes race on
  it. It spaces out status-message edits and settles who changes a status message first.
- ``take_mark(key, owner, ttl_s)`` is the same test-and-set, on the same keys, with a
  holder (``owner``: an id unique to the caller, e.g. a uuid): True when the
  mark is now held by ``owner``, whether taken by this call or already held by that same
  owner, so a caller whose answer was lost (a reply dropped with its connection) can ask
  again and still learn it holds the mark; False while another owner holds it. It
  de-duplicates Telegram's re-sent updates (the request is the owner) and marks a job's
  delivery (the sending attempt is the owner).
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
  ``forget_hits(ticket, keys)`` takes an admitted ticket's hit out of those windows (a
  job that failed on our side or a provider's is not held against its sender); idempotent.
- ``get_user_settings`` returns a user's saved settings (empty if none); ``set_user_settings``
  merges string values into them; ``forget_user_settings`` deletes them all.
- ``remember(key, value, ttl_s)`` keeps a short string (a cached answer, e.g. an enhanced
  prompt) for ``ttl_s`` seconds, replacing any earlier one; ``recall(key)`` returns it or
  None once it expired or was never kept. Memory keeps a bounded number (oldest dropped).
- ``remember_sent_image`` keeps, for ``ttl_s`` seconds, which job made the image in a chat
  message; ``find_sent_image`` returns it or None.
- ``remember_mark`` keeps, for ``ttl_s`` seconds, the job a watermark payload stands for;
  ``find_mark(payload)`` returns it or None. ``keep_original`` keeps, for ``ttl_s``
  seconds, the signed file of a delivered image (``job_id``, ``index``); ``find_original``
  returns its bytes or None.

The records these take and give (jobs, limits, balances, invoices) are in ``state/models.py``.
The payment ledger sits beside these as its own ABC (``Ledger``, below), in its own
modules (state/ledger_memory.py, state/ledger_redis.py) on the same connection and key
builder: each movement applied once per idempotency key, balance checks and writes in one
atomic step (a Lua script in Redis).

The job queue hands work from the processes that take requests to those that run them:

- ``enqueue(job)`` makes the job claimable; ``claim(timeout_s)`` hands each job to one
  caller, waiting up to ``timeout_s``, and returns None when nothing came. Jobs are
  handed out in the order of ``state/scheduling.py`` (tiers by weight with a reserved
  share, users taking turns within a tier, a job past its tier's maximum wait promoted),
  the same across every process; a job without a tier counts as relax.
- ``ack(job_id)`` marks a claimed job done; it is not handed out again.
- ``touch(job_id)`` tells the queue the claimer is still working on it; False when the
  job is no longer this claimer's (it was handed to another).
- ``requeue(job)`` gives a claimed job back so that another claimer takes it at once: it
  goes to the front of its user's line, its user to the front of its tier's turns.
- ``pending()`` counts jobs enqueued and not yet acknowledged; ``running()`` those claimed
  and not yet acknowledged. ``position(job_id)`` is how many jobs will be handed out
  before a waiting job if nothing else arrives (0: next), None when it is not waiting.
- ``durable`` queues (Redis) keep jobs when every process stops, and a job claimed and
  not acknowledged nor touched for the visibility timeout is handed out again. A queue
  that is not durable (memory) loses what it holds with its process, so its owner drains
  it before stopping.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from state.models import (
    Balance,
    BlockRecord,
    Capture,
    HeldReservation,
    HistoryEntry,
    InFlightCap,
    Job,
    Limit,
    MarkRecord,
    Movement,
    PendingInvoice,
    Reservation,
    SentImage,
)
from state.pacing import Bucket


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
    async def take_mark(self, key: str, owner: str, ttl_s: float) -> bool: ...

    @abstractmethod
    async def save_job(self, job: Job) -> None: ...

    @abstractmethod
    async def get_job(self, job_id: str) -> Job | None: ...

    @abstractmethod
    async def admit(self, ticket: str, limits: Sequence[Limit], cap: InFlightCap) -> None: ...

    @abstractmethod
    async def release(self, ticket: str) -> None: ...

    @abstractmethod
    async def forget_hits(self, ticket: str, keys: Sequence[str]) -> None: ...

    @abstractmethod
    async def in_flight(self) -> int: ...

    @abstractmethod
    async def get_user_settings(self, user_id: int) -> dict[str, str]: ...

    @abstractmethod
    async def set_user_settings(self, user_id: int, values: Mapping[str, str]) -> None: ...

    @abstractmethod
    async def forget_user_settings(self, user_id: int) -> None: ...

    @abstractmethod
    async def remember(self, key: str, value: str, ttl_s: float) -> None: ...

    @abstractmethod
    async def recall(self, key: str) -> str | None: ...

    @abstractmethod
    async def remember_sent_image(self, image: SentImage, ttl_s: float) -> None: ...

    @abstractmethod
    async def find_sent_image(self, chat_id: int, message_id: int) -> SentImage | None: ...

    @abstractmethod
    async def remember_mark(self, record: MarkRecord, ttl_s: float) -> None: ...

    @abstractmethod
    async def find_mark(self, payload: int) -> MarkRecord | None: ...

    @abstractmethod
    async def keep_original(self, job_id: str, index: int, data: bytes, ttl_s: float) -> None: ...

    @abstractmethod
    async def find_original(self, job_id: str, index: int) -> bytes | None: ...


class StatsStore(ABC):
    """Counters and samples for ``/stats``, shared by every process.

    Contract (both implementations; failures raise ``state.errors.StateUnavailable``):

    - ``count(name, by, day)`` adds ``by`` to a named counter's total and to its bucket for
      ``day`` (kept about a year) in one atomic step: a reader never sees one without the
      other. ``counter(name, day)`` reads the total (``day`` None) or one day's bucket; 0
      when never counted.
    - ``record_user(user_id, day)`` notes that the user was active on ``day`` (and so ever);
      idempotent. ``count_users(days)`` counts distinct users active on any of ``days``
      (None: ever). Exact in memory; on Redis a HyperLogLog (about 0.8 % error, exact
      enough for small numbers), so it costs a few KB whatever the number of users.
    - ``add_latency(provider, day, seconds)`` keeps the latest ``LATENCY_SAMPLES_PER_DAY``
      samples per provider per day; ``latencies(provider, days)`` returns what is kept.
    - ``read_counters(names, days)`` reads many day buckets of counters at once:
      ``{name: [value per day, in the order of days]}`` (0 where never counted).
    Per-day data is kept about 100 days.
    """

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def count(self, name: str, by: int, day: dt.date) -> None: ...

    @abstractmethod
    async def counter(self, name: str, day: dt.date | None = None) -> int: ...

    @abstractmethod
    async def record_user(self, user_id: int, day: dt.date) -> None: ...

    @abstractmethod
    async def count_users(self, days: Sequence[dt.date] | None = None) -> int: ...

    @abstractmethod
    async def add_latency(self, provider: str, day: dt.date, seconds: float) -> None: ...

    @abstractmethod
    async def latencies(self, provider: str, days: Sequence[dt.date]) -> list[float]: ...

    @abstractmethod
    async def read_counters(
        self, names: Sequence[str], days: Sequence[dt.date]
    ) -> dict[str, list[int]]: ...


LATENCY_SAMPLES_PER_DAY = 500
STATS_RETENTION_DAYS = 100


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
    async def running(self) -> int: ...

    @abstractmethod
    async def position(self, job_id: str) -> int | None: ...


# The payment ledger. Sats, per user; see ``Ledger`` for the contract.


class Ledger(ABC):
    """Credits in sats per user; every movement applied once per idempotency key.

    Contract (memory and Redis alike; every method atomic across processes):

    - ``start()``/``stop()`` are idempotent. Redis faults raise ``StateUnavailable``.
    - ``credit(user_id, key, sats)`` adds ``sats`` to the available balance once per
      ``key`` (a top-up's invoice id); True when it was applied now, False for a repeat.
    - ``transfer(from_user, to_user, key, sats)`` moves ``sats`` of available balance from
      one account to another (a group's pool) once per ``key``, all or nothing: when the
      payer is short it raises ``InsufficientCredits`` and moves nothing; a repeat of the
      key moves nothing and raises nothing. ``sats`` > 0 and two distinct accounts, else
      ``ValueError``.
    - ``reserve(user_id, job_id, units, price_sats, free_per_day, day)`` takes a job's
      price: first ``min(units, free_per_day - free used on day)`` units from the daily
      free allowance, the rest at ``price_sats`` each from the available balance, all or
      nothing. It never overdraws: when the balance is short it raises
      ``state.errors.InsufficientCredits`` (``missing_sats``) and takes nothing. Keyed by
      job id: reserving the same job again returns the first reservation and takes nothing.
      The time it was reserved is kept (the backing store's clock).
      With ``park=True`` a short balance parks the reservation instead (a request waiting
      for its invoice): its free units and all the available balance up to its price are
      held for it, and ``InsufficientCredits`` says what is missing and what is held.
      Reserving the parked job again takes the rest (raising ``InsufficientCredits``, with
      nothing more taken, while the balance is still short); ``release`` gives back what
      it holds; ``capture`` leaves it alone (None). A parked reservation is not in
      ``held_reservations`` until its price is complete: it is in ``parked_reservations``
      from when it was parked until its price is complete or it is released.
    - ``capture(job_id, images=None)`` makes a reservation final for ``images`` of its
      units (the images delivered; None: all of them; clamped to 0..units): the free
      units count first, then the paid ones at the reserved price; in the same atomic step
      the rest goes back (sats to the balance, free units to their day's allowance).
      Returns a :class:`Capture` (sats and images charged) when it applied now, None when
      the reservation is unknown, captured or released. ``release(job_id)`` gives all of it
      back: True when it applied now. Each reservation is settled once, by one of them.
    - ``held_reservations(older_than_s, limit)``: reservations neither captured nor
      released that were made at least ``older_than_s`` seconds ago, oldest first, at most
      ``limit``, each with its age (what a sweep for reservations whose process died reads).
      ``parked_reservations(older_than_s, limit)``: the same for parked reservations, by
      when they were parked (taking the rest again while still short does not renew it),
      each with the sats it holds (what a sweep for holds whose invoice was never recorded,
      or whose resume died, reads).
    - ``balance(user_id)``: available and reserved sats and the free units held by
      reservations not yet settled; always available = credited - captured - reserved,
      and never negative. ``free_used(user_id, day)``: free units taken on ``day`` (held
      or captured).
    - Pending invoices: ``add_pending`` records one; ``pending_invoices()`` lists those not
      yet resolved; ``pending_of(user_id)`` the same for one user (without reading the
      others'); ``resolve_pending(invoice_id)`` returns the record exactly once (None
      to every later or concurrent caller) and removes it from the pending list, so each
      outcome of an invoice (job run, user told) happens once. ``find_invoice`` returns the
      record of any invoice added, resolved or not (kept for weeks).
    - ``movements(user_id, limit)``: the account's latest movements, newest first, at most
      ``limit`` (0 or less: none): each credit applied, each capture that charged sats,
      each transfer from it (``transfer_out``) or to it (``transfer_in``), recorded in the
      same atomic step as the movement itself. At least the last ``MOVEMENTS_KEPT`` are kept
      per account. Reservations and releases are not movements (nothing was spent).
    """

    MOVEMENTS_KEPT = 100

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def credit(self, user_id: int, key: str, sats: int) -> bool: ...

    @abstractmethod
    async def transfer(self, from_user: int, to_user: int, key: str, sats: int) -> None: ...

    @abstractmethod
    async def reserve(
        self,
        user_id: int,
        job_id: str,
        units: int,
        price_sats: int,
        free_per_day: int,
        day: dt.date,
        *,
        park: bool = False,
    ) -> Reservation: ...

    @abstractmethod
    async def capture(self, job_id: str, images: int | None = None) -> Capture | None: ...

    @abstractmethod
    async def release(self, job_id: str) -> bool: ...

    @abstractmethod
    async def held_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]: ...

    @abstractmethod
    async def parked_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]: ...

    @abstractmethod
    async def balance(self, user_id: int) -> Balance: ...

    @abstractmethod
    async def free_used(self, user_id: int, day: dt.date) -> int: ...

    @abstractmethod
    async def add_pending(self, invoice: PendingInvoice) -> None: ...

    @abstractmethod
    async def pending_invoices(self) -> list[PendingInvoice]: ...

    @abstractmethod
    async def pending_of(self, user_id: int) -> list[PendingInvoice]: ...

    @abstractmethod
    async def resolve_pending(self, invoice_id: str) -> PendingInvoice | None: ...

    @abstractmethod
    async def find_invoice(self, invoice_id: str) -> PendingInvoice | None: ...

    @abstractmethod
    async def movements(self, user_id: int, limit: int = 50) -> list[Movement]: ...


# Moderation records; see ``ModerationRecords`` for the contract.


class ModerationRecords(ABC):
    """Every moderation block, and the users an admin banned.

    Contract (memory: state/moderation_memory.py; Redis: state/moderation_redis.py):

    - ``start()``/``stop()`` are idempotent (on Redis they borrow the state store's
      connection and neither open nor close it). Redis faults raise ``StateUnavailable``.
    - ``record_block(record)`` keeps a block. ``recent_blocks(limit)`` returns the latest
      ones, newest first (at least the last ``RECENT_BLOCKS_KEPT`` are kept).
      ``blocks_since(user_id, since)`` returns that user's blocks at or after ``since``
      (a Unix time), oldest first; a user's blocks are kept at least ``USER_BLOCKS_KEPT_S``.
    - ``ban(user_id)``/``unban(user_id)`` return True when they changed something (False:
      already banned / not banned); ``is_banned(user_id)``; ``banned()`` lists the banned
      users, ascending. Bans last until lifted.
    """

    RECENT_BLOCKS_KEPT = 1000
    USER_BLOCKS_KEPT_S = 7 * 24 * 3600.0

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def record_block(self, record: BlockRecord) -> None: ...

    @abstractmethod
    async def recent_blocks(self, limit: int) -> list[BlockRecord]: ...

    @abstractmethod
    async def blocks_since(self, user_id: int, since: float) -> list[BlockRecord]: ...

    @abstractmethod
    async def ban(self, user_id: int) -> bool: ...

    @abstractmethod
    async def unban(self, user_id: int) -> bool: ...

    @abstractmethod
    async def is_banned(self, user_id: int) -> bool: ...

    @abstractmethod
    async def banned(self) -> list[int]: ...


# Each user's image history; see ``ImageHistory`` for the contract.


class ImageHistory(ABC):
    """Each user's delivered images, newest first: the index the Mini App's gallery reads.

    Contract (memory: state/history_memory.py; Redis: state/history_redis.py):

    - ``start()``/``stop()`` are idempotent (on Redis they borrow the state store's
      connection and neither open nor close it). Redis faults raise ``StateUnavailable``.
    - ``add(entry, ttl_s)`` keeps ``entry`` in its user's history for ``ttl_s`` seconds
      (it sets ``entry.expires_at``); an entry with the same id replaces the earlier one.
      A user keeps at most ``MAX_PER_USER`` entries: the oldest are dropped.
    - ``page(user_id, before, limit)`` returns up to ``limit`` unexpired entries created
      strictly before ``before`` (None: from the newest), newest first.
    - ``get(user_id, entry_id)`` returns that user's entry or None (expired, deleted, or
      another user's: a user never reaches another's entries).
    - ``delete(user_id, entry_id)`` is True when it removed something; ``clear(user_id)``
      removes the user's whole history and returns how many entries it removed.
    """

    MAX_PER_USER = 1000

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def add(self, entry: HistoryEntry, ttl_s: float) -> None: ...

    @abstractmethod
    async def page(self, user_id: int, before: float | None, limit: int) -> list[HistoryEntry]: ...

    @abstractmethod
    async def get(self, user_id: int, entry_id: str) -> HistoryEntry | None: ...

    @abstractmethod
    async def delete(self, user_id: int, entry_id: str) -> bool: ...

    @abstractmethod
    async def clear(self, user_id: int) -> int: ...


class SendPacer(ABC):
    """The sending pace shared by every process, a budget per scope (``state/pacing.py``
    has the contract and the rule; memory and Redis implement it)."""

    @abstractmethod
    async def reserve(self, buckets: Sequence[Bucket]) -> float:
        """Takes one send from every bucket at once; the seconds to wait before sending."""
