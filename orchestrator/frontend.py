"""The ways in: front ends, as the orchestrator sees them.

A front end (Telegram today; an HTTP API and a Mini App share the same shape) takes
requests from its users, hands image work to the :class:`JobSubmitter` it was built with,
and is handed each of its jobs back to fetch the input, show progress and deliver. The
orchestrator never imports one: each registers a factory under the ``fulmine.frontends``
entry point, and the runtime builds every one it is given. A job records the ``name`` of
the front end it came from (``Job.frontend``); :class:`Frontends` routes each call to it.

Contract of a :class:`Frontend`:

- ``name`` is unique among the runtime's front ends; jobs and invoices carry it.
- ``start()``/``stop()`` are idempotent; after ``start`` it can talk to its users.
- ``router()`` returns the HTTP routes it serves (e.g. the Telegram webhook), or None.
- ``ping()`` is True when what it talks through answers (for readiness checks).
- ``fetch_input_image(job)`` returns the bytes of the job's input image (where they are
  kept, a download URL say, never leaves the front end).
- ``show_progress(job)`` tells the user the job is being worked on; the worker calls it
  every few seconds while the provider works. Cosmetic: failures are ignored.
- ``deliver(job, images)`` sends the images as the answer to the request; it raises if
  they could not be sent. It records the sent images' ids in ``job.result_file_ids`` (the
  worker saves the job afterwards).
- ``report_failure(job, error)`` tells the user why the job failed.
- ``notify_payment(notice)`` tells a user what became of an invoice (the
  ``orchestrator.payments.notices.PaymentNotifier`` the payment service is built with).
- ``show_queue_position(job, ahead, eta_s=None)``: ``ahead`` jobs wait before it, and it
  should start in about ``eta_s`` seconds (None: nothing measured yet, say nothing of
  time); ``ahead`` None means it is no longer waiting (show it is being worked on).
  Cosmetic: the caller ignores its failures.

The :class:`JobSubmitter` (the runtime) takes what front ends receive:

- ``accepting`` is False while the process stops: a front end answers "come back later"
  (Telegram re-sends what was not acknowledged).
- ``accept(mark, work, lane)`` runs ``work`` in the background once per ``mark`` (a
  request's de-duplication key, e.g. ``update:<id>``) across every process; False for a
  repeat. Requests of one ``lane`` (a chat) run one at a time, a bounded number waiting.
  It raises ``state.errors.StateUnavailable`` when the mark cannot be taken.
- ``admit(job)`` takes the job through every admission check and raises a refusal
  (``fulmine.errors.Refusal``: rate limited, blocked, payment required...); an
  admitted job is then either ``submit``-ted or ``withdraw``-n.
- ``get_job(job_id)`` returns a job saved earlier (None once forgotten);
  ``queue_position(job_id)`` how many jobs wait ahead of it (None: not waiting, or not
  known to this process); ``wait_estimate(job, ahead)`` about how many seconds it will
  wait with ``ahead`` jobs before it (``orchestrator.jobs.eta``; None: nothing measured
  yet, or nothing running).
- ``take_limit(scope, key, max_hits, window_s)`` counts one hit against a sliding window
  shared by every process; raises ``state.errors.RateLimited`` (naming ``scope``) when full.
- ``first_time(mark, ttl_s)`` is True exactly once per ``mark`` within ``ttl_s`` across
  every process (e.g. one job per paid token).
- ``remember(key, value, ttl_s)`` keeps a short note (a question the front end asked and
  what its answer applies to) for ``ttl_s`` seconds, shared by every process;
  ``recall(key)`` reads it back (None once forgotten). Keys are the front end's own.
- ``cancel(job_id)`` cancels a job that still waits or is being made: it fails as
  ``JobCancelled`` (released, its user told by ``report_failure``), before ``cancel``
  returns when it was still waiting, else once its worker sees it; returns the job, or
  None when there was nothing to cancel (unknown, finished, or already being sent).
- ``forget_user(user_id)`` deletes what is kept about a user until deleted (settings,
  who referred them); the rest (jobs, originals, marks, notes) expires on its own, and
  credits and payments are kept, being the user's money.
- ``flagged_images(chat_id, chat_type)`` says how output images the image check flags are
  handled in a chat (``block``, ``spoiler``, ``allow``: ``orchestrator.moderation.flagged``);
  ``choose_flagged_images(chat_id, value)`` keeps a group's choice (False: not one it may
  make). Whether the one choosing is the group's admin is the front end's to check.
- ``record_referral(user_id, referrer_id)`` records who brought a user, once: True when
  it was recorded now (not for oneself, not over an earlier referrer).
- ``stats_report(window_days)`` gathers what the admins' ``/stats`` shows;
  ``moderation_records`` are the blocks and bans admin commands show and change.
- ``gallery`` holds each chat user's delivered images (``orchestrator.gallery``);
  ``edit_history`` the versions of an edited image (``orchestrator.history``, ``/undo``).
- ``provenance`` verifies any image (``verify(data)``) and keeps the signed file of each
  delivered image (``original(job_id, index)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from orchestrator.payments.notices import PaymentNotice, PaymentNotifier
from orchestrator.settings import Settings
from orchestrator.stats.report import StatsReport
from providers.base import ProviderImage
from state.base import ModerationRecords, SendPacer
from state.models import Job

if TYPE_CHECKING:
    from fastapi import APIRouter

    from orchestrator.catalog import Catalog
    from orchestrator.gallery import Gallery
    from orchestrator.history import EditHistory
    from orchestrator.payments.service import PaymentService
    from orchestrator.preferences import Preferences
    from orchestrator.provenance.service import Provenance


class JobSubmitter(Protocol):
    @property
    def accepting(self) -> bool: ...

    @property
    def moderation_records(self) -> ModerationRecords: ...

    @property
    def payments(self) -> PaymentService | None: ...

    @property
    def provenance(self) -> Provenance: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def can_enhance(self) -> bool: ...

    @property
    def edit_history(self) -> EditHistory: ...

    @property
    def gallery(self) -> Gallery: ...

    @property
    def send_pacer(self) -> SendPacer: ...

    async def accept(
        self, mark: str, work: Callable[[], Awaitable[None]], lane: str | None = None
    ) -> bool: ...

    async def admit(self, job: Job) -> None: ...

    async def withdraw(self, job: Job) -> None: ...

    async def submit(self, job: Job) -> None: ...

    async def get_job(self, job_id: str) -> Job | None: ...

    async def queue_position(self, job_id: str) -> int | None: ...

    async def wait_estimate(self, job: Job, ahead: int) -> float | None: ...

    async def first_time(self, mark: str, ttl_s: float) -> bool: ...

    async def take_limit(self, scope: str, key: str, max_hits: int, window_s: float) -> None: ...

    async def preferences(self, user_id: int) -> Preferences: ...

    async def set_default_model(self, user_id: int, name: str) -> bool: ...

    async def set_preference(self, user_id: int, key: str, value: str | None) -> bool: ...

    async def flagged_images(self, chat_id: int, chat_type: str | None) -> str: ...

    async def choose_flagged_images(self, chat_id: int, value: str) -> bool: ...

    async def stats_report(
        self, window_days: int, chart_span: int | None = None
    ) -> StatsReport: ...

    async def remember(self, key: str, value: str, ttl_s: float) -> None: ...

    async def recall(self, key: str) -> str | None: ...

    async def record_referral(self, user_id: int, referrer_id: int) -> bool: ...

    async def cancel(self, job_id: str) -> Job | None: ...

    async def forget_user(self, user_id: int) -> None: ...


class JobFrontend(PaymentNotifier, Protocol):
    """What the orchestrator asks of the front end a job came from."""

    async def fetch_input_image(self, job: Job) -> bytes: ...

    async def show_progress(self, job: Job) -> None: ...

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None: ...

    async def report_failure(self, job: Job, error: BaseException) -> None: ...

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None: ...


class Frontend(JobFrontend, Protocol):
    """A front end: its routes (``router``), and optionally ``body_limits()`` (paths
    allowed a larger request body) and ``endpoints()`` (paths served in plain ASGI ahead
    of FastAPI's routing: ``orchestrator.serving.endpoints``)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> bool: ...

    def router(self) -> APIRouter | None: ...


FrontendFactory = Callable[[Settings, JobSubmitter], Frontend]


class UnknownFrontend(LookupError):
    """A job or invoice names a front end this process does not run."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no front end named {name!r} in this process")
        self.name = name


class Frontends:
    """Every front end of a process, by name; a job's calls go to the one it came from."""

    def __init__(self, frontends: Iterable[Frontend]) -> None:
        self.by_name: dict[str, Frontend] = {}
        for frontend in frontends:
            if frontend.name in self.by_name:
                raise ValueError(f"two front ends are named {frontend.name!r}")
            self.by_name[frontend.name] = frontend

    def __iter__(self) -> Iterator[Frontend]:
        return iter(self.by_name.values())

    def of(self, name: str) -> Frontend:
        try:
            return self.by_name[name]
        except KeyError:
            raise UnknownFrontend(name) from None

    async def fetch_input_image(self, job: Job) -> bytes:
        return await self.of(job.frontend).fetch_input_image(job)

    async def show_progress(self, job: Job) -> None:
        await self.of(job.frontend).show_progress(job)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        await self.of(job.frontend).deliver(job, images)

    async def report_failure(self, job: Job, error: BaseException) -> None:
        await self.of(job.frontend).report_failure(job, error)

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        await self.of(job.frontend).show_queue_position(job, ahead, eta_s)

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return await self.of(notice.frontend).notify_payment(notice)


def load_frontend_factories(names: Sequence[str] | None = None) -> list[FrontendFactory]:
    """The factories registered under ``fulmine.frontends`` (all of them, or ``names``)."""
    from importlib.metadata import entry_points

    found = {ep.name: ep for ep in entry_points(group="fulmine.frontends")}
    wanted = sorted(found) if names is None else list(names)
    missing = [name for name in wanted if name not in found]
    if missing:
        raise LookupError(f"no front end registered as {', '.join(missing)}")
    return [found[name].load() for name in wanted]
