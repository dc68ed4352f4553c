"""The status message shown while a job waits and runs.

It only moves forward (``orchestrator/jobs/status_stage.py``): "Got it" when the request
is taken, its place in line while it waits (``orchestrator/jobs/positions.py``), then
"Generating… 12 s" while it is made: the seconds counted from ``ELAPSED_SHOWN_AFTER_S``
on (a quicker job needs no count), edited at most once per ``QUEUE_EDIT_INTERVAL_S`` in a
chat (the same mark as the queue display's). The Cancel button stays under it throughout.
"""

from __future__ import annotations

import time

import structlog
from telegram import Bot
from telegram.error import TelegramError

from bot import texts
from bot.intake.cancel import cancel_keyboard
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

STATUS_KEYS = {JobKind.EDIT: "status_editing", JobKind.UPSCALE: "status_upscaling"}
ACCEPTED_KEY = "status_accepted"
ELAPSED_SHOWN_AFTER_S = 3.0


def status_key(kind: JobKind) -> str:
    """The text key of the status message while a job of ``kind`` runs."""
    return STATUS_KEYS.get(kind, "status_generating")


def elapsed_text(job: Job, seconds: float) -> str:
    """The running status with the seconds counted: "🎨 Generating… 12 s"."""
    whole = int(seconds)
    minutes, rest = divmod(whole, 60)
    if minutes:
        elapsed = texts.text("elapsed_minutes", job.language, minutes=minutes, seconds=rest)
    else:
        elapsed = texts.text("elapsed_seconds", job.language, seconds=rest)
    return texts.text(f"{status_key(job.kind)}_for", job.language, elapsed=elapsed)


async def show_elapsed(bot: Bot, submitter: JobSubmitter, settings: Settings, job: Job) -> None:
    """Count the running job's seconds in its status message, sparingly."""
    if job.status_message_id is None or job.started_at is None:
        return
    seconds = time.time() - job.started_at
    if seconds < ELAPSED_SHOWN_AFTER_S:
        return
    mark = f"status-edit:{job.chat_id}"
    if not await submitter.first_time(mark, settings.queue_edit_interval_s):
        return
    try:
        await bot.edit_message_text(
            elapsed_text(job, seconds),
            job.chat_id,
            job.status_message_id,
            reply_markup=cancel_keyboard(job),
        )
    except TelegramError as exc:  # cosmetic: the job goes on regardless
        log.info("elapsed_not_shown", error=repr(exc))
