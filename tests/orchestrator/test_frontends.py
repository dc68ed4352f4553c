"""Several front ends in one runtime: each job goes back to the front end it came from.

The Telegram front end runs against the Bot API emulator; beside it a small in-process
front end ("scripted") submits jobs of its own through the same runtime and records what
the worker hands back to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter

from bot.frontend import TelegramFrontend
from orchestrator.frontend import Frontends, JobSubmitter, UnknownFrontend
from orchestrator.payments.notices import NoticeKind, PaymentNotice
from orchestrator.runtime import Runtime
from orchestrator.settings import Settings
from providers.base import ProviderImage
from state.models import Job, JobKind, JobStatus
from tests.conftest import make_settings


class ScriptedFrontend:
    """A front end with no platform: what it is handed back, it keeps."""

    name = "scripted"

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self.submitter = submitter
        self.delivered: dict[str, list[ProviderImage]] = {}
        self.failed: dict[str, BaseException] = {}
        self.notices: list[PaymentNotice] = []
        self.started = 0

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        pass

    async def ping(self) -> bool:
        return True

    def router(self) -> APIRouter | None:
        return None

    async def fetch_input_image(self, job: Job) -> bytes:
        raise AssertionError("no edits in this test")

    async def show_progress(self, job: Job) -> None:
        pass

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        self.delivered[job.id] = images

    async def report_failure(self, job: Job, error: BaseException) -> None:
        self.failed[job.id] = error

    async def show_queue_position(
        self, job: Job, ahead: int | None, eta_s: float | None = None
    ) -> None:
        pass

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        self.notices.append(notice)
        return None


@pytest.fixture
async def runtime(emulator: tuple[Any, str]) -> AsyncIterator[Runtime]:
    _, url = emulator
    built = Runtime(make_settings(url), [TelegramFrontend, ScriptedFrontend])
    await built.start()
    yield built
    await built.stop()


def _job(frontend: str, prompt: str = "a lighthouse") -> Job:
    return Job(
        kind=JobKind.GENERATE,
        prompt=prompt,
        chat_id=7,
        user_id=7,
        request_message_id=1,
        frontend=frontend,
    )


async def test_a_job_is_delivered_by_the_front_end_it_came_from(runtime: Runtime) -> None:
    scripted = runtime.frontend("scripted")
    assert isinstance(scripted, ScriptedFrontend)
    assert scripted.started == 1
    assert isinstance(runtime.frontend("telegram"), TelegramFrontend)

    job = _job("scripted")
    await runtime.admit(job)
    await runtime.submit(job)
    await runtime.wait_idle()

    assert list(scripted.delivered) == [job.id]
    assert scripted.delivered[job.id][0].content_type == "image/png"
    saved = await runtime.get_job(job.id)
    assert saved is not None
    assert saved.status is JobStatus.DELIVERED
    assert saved.frontend == "scripted"


async def test_a_failure_is_reported_to_that_front_end_too(runtime: Runtime) -> None:
    scripted = runtime.frontend("scripted")
    assert isinstance(scripted, ScriptedFrontend)
    job = _job("scripted")
    job.num_images = 99  # the placeholder refuses more than it can draw
    await runtime.admit(job)
    await runtime.submit(job)
    await runtime.wait_idle()
    assert list(scripted.failed) == [job.id]
    assert scripted.delivered == {}


async def test_routing_by_name() -> None:
    class Named(ScriptedFrontend):
        def __init__(self, name: str) -> None:
            self.name = name  # type: ignore[misc]
            self.notices = []

    first, second = Named("one"), Named("two")
    frontends = Frontends([first, second])
    notice = PaymentNotice(NoticeKind.TOPUP_CREDITED, 1, 1, None, 100, 100, frontend="two")
    await frontends.notify_payment(notice)
    assert (first.notices, second.notices) == ([], [notice])
    with pytest.raises(UnknownFrontend, match="three"):
        await frontends.deliver(_job("three"), [])
    with pytest.raises(ValueError, match="two front ends"):
        Frontends([first, Named("one")])
