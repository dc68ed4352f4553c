"""The chat-facing side of the orchestrator, as the orchestrator sees it.

The orchestrator never imports ``bot/``: the Telegram front end implements this
protocol and registers itself under the ``fulmine.frontends`` entry point.

Contract:

- ``start()``/``stop()`` are idempotent; after ``start`` the front end can talk to the
  chat platform.
- ``process_update(data)`` handles one webhook update (already de-duplicated). It answers
  the user directly for anything that needs no image, and hands image work to the
  :class:`JobSubmitter` it was built with. It must not raise for bad input.
- ``fetch_input_image(job)`` returns the bytes of the job's input image, downloaded from
  the chat platform (the download URL never leaves the front end).
- ``show_progress(job)`` tells the user the job is being worked on (e.g. a chat action);
  the worker calls it every few seconds while the provider works.
- ``deliver(job, images)`` sends the images as the answer to the request; it raises if
  they could not be sent. It records the sent images' file ids in ``job.result_file_ids``
  (the worker saves the job afterwards).
- ``report_failure(job, error)`` tells the user why the job failed.
- ``ping()`` is True when the chat platform's API answers (for readiness checks).
- ``notify_payment(notice)`` tells a user what became of an invoice (it is the
  ``orchestrator.payments.notices.PaymentNotifier`` the payment service is built with).
- ``show_queue_position(job, ahead)`` updates the job's status message while it waits:
  ``ahead`` jobs are before it; None means it is no longer waiting (show it is being
  worked on). Cosmetic: the caller ignores its failures.

The :class:`JobSubmitter` (the runtime) takes every job through ``admit(job)`` first,
which raises ``state.errors.RateLimited`` (with ``retry_after_s``) when a limit refuses
it; an admitted job is then either ``submit``-ted or ``withdraw``-n. ``get_job(job_id)``
returns a job saved earlier (None once forgotten): buttons under a result refer to it.
``stats_report(window_days)`` gathers what the admins' ``/stats`` shows.
``admit`` also raises ``orchestrator.moderation.errors.ModerationRefusal``s, and
``moderation_records`` are the blocks and bans admin commands show and change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from orchestrator.payments.notices import PaymentNotifier
from orchestrator.settings import Settings
from orchestrator.stats_report import StatsReport
from providers.base import ProviderImage
from state.base import ModerationRecords
from state.models import Job


class JobSubmitter(Protocol):
    @property
    def moderation_records(self) -> ModerationRecords: ...

    async def admit(self, job: Job) -> None: ...

    async def withdraw(self, job: Job) -> None: ...

    async def submit(self, job: Job) -> None: ...

    async def get_job(self, job_id: str) -> Job | None: ...

    async def stats_report(self, window_days: int) -> StatsReport: ...


class Frontend(PaymentNotifier, Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def process_update(self, data: dict[str, Any]) -> None: ...

    async def fetch_input_image(self, job: Job) -> bytes: ...

    async def show_progress(self, job: Job) -> None: ...

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None: ...

    async def report_failure(self, job: Job, error: BaseException) -> None: ...

    async def ping(self) -> bool: ...

    async def show_queue_position(self, job: Job, ahead: int | None) -> None: ...


FrontendFactory = Callable[[Settings, JobSubmitter], Frontend]


def load_frontend_factory(name: str = "telegram") -> FrontendFactory:
    from importlib.metadata import entry_points

    (entry_point,) = entry_points(group="fulmine.frontends", name=name)
    factory: FrontendFactory = entry_point.load()
    return factory
