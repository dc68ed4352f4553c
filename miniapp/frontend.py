"""The Mini App front end: a page opened inside Telegram, which knows its user by initData.

Its jobs are the chat's: the app hands them to admission as Telegram jobs of the user's
private chat, so they are delivered there and recorded in the gallery like any other. It
therefore delivers nothing itself; what a job front end is asked goes to the chat's.
"""

from __future__ import annotations

from fastapi import APIRouter

from miniapp.routes import build_router
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.notices import PaymentNotice
from orchestrator.settings import Settings
from providers.base import ProviderImage
from state.models import Job


class MiniAppFrontend:
    """Implements ``orchestrator.frontend.Frontend`` for the Mini App."""

    name = "miniapp"

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self.settings = settings
        self.submitter = submitter

    def router(self) -> APIRouter:
        return build_router(self.settings, self.submitter)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def ping(self) -> bool:
        return True

    async def fetch_input_image(self, job: Job) -> bytes:
        raise LookupError("the Mini App's jobs take no input image")

    async def show_progress(self, job: Job) -> None:
        """The page polls the job's status."""

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        """The page polls the job's status."""

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        raise LookupError("the Mini App's jobs are delivered in the chat")

    async def report_failure(self, job: Job, error: BaseException) -> None:
        """Its jobs are the chat's; the chat is told."""

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return None  # top-ups are the chat's too; the page polls the balance
