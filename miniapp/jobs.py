"""New images made in the app: the same admission as the chat, delivered to the user's
private chat with the bot (so they appear there and in the gallery)."""

from __future__ import annotations

import contextlib

import structlog
from fastapi import HTTPException
from fastapi.responses import JSONResponse

from fulmine.errors import InvalidInput, Refusal
from miniapp.init_data import WebAppUser
from miniapp.schemas import NewImage
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.errors import ModerationRefusal
from orchestrator.payments.errors import PaymentRequired
from orchestrator.preferences import ASPECT_RATIOS
from orchestrator.settings import Settings
from state.errors import RateLimited, StateError
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

REQUEST_TTL_S = 3600.0


def refused(status: int, code: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": code, **extra}, status_code=status)


async def start_job(
    settings: Settings, submitter: JobSubmitter, user: WebAppUser, body: NewImage
) -> JSONResponse:
    prompt = body.prompt.strip()
    if not prompt or len(prompt) > settings.max_prompt_chars:
        return refused(422, "prompt_length", max_chars=settings.max_prompt_chars)
    if body.aspect_ratio is not None and body.aspect_ratio not in ASPECT_RATIOS:
        return refused(422, "aspect_ratio")
    if body.enhance and not submitter.can_enhance:
        return refused(422, "enhance_not_configured")
    if not await submitter.first_time(f"miniapp:{user.id}:{body.request_id}", REQUEST_TTL_S):
        return refused(409, "repeated")
    saved = await submitter.preferences(user.id)
    job = Job(
        kind=JobKind.GENERATE,
        prompt=prompt,
        chat_id=user.id,  # the user's private chat with the bot
        user_id=user.id,
        request_message_id=0,
        language=user.language_code,
        aspect_ratio=body.aspect_ratio or saved.aspect_ratio or "1:1",
        num_images=body.num_images or saved.num_images or 1,
        model=body.model or saved.model_for(JobKind.GENERATE),
        enhance=body.enhance or saved.enhance,
        requester_name=user.first_name,
        frontend="telegram",  # delivered in the chat, recorded in the gallery
    )
    return await admit_and_submit(submitter, job)


async def admit_and_submit(submitter: JobSubmitter, job: Job) -> JSONResponse:
    """The chat's admission (moderation, rate limits, payment), then the queue: 202 with
    the job's id, or the refusal as a short code the page words."""
    try:
        await submitter.admit(job)
    except PaymentRequired as exc:
        return refused(402, "payment_required", bolt11=exc.invoice.bolt11, sats=exc.missing_sats)
    except RateLimited as exc:
        return refused(429, "rate_limited", retry_after_s=round(exc.retry_after_s, 1))
    except ModerationRefusal as exc:
        return refused(403, "moderation", reason=type(exc).__name__)
    except InvalidInput as exc:
        return refused(422, "invalid", reason=type(exc).__name__)
    except Refusal as exc:
        return refused(403, "refused", reason=type(exc).__name__)
    except StateError:
        raise HTTPException(503, "state unavailable") from None
    try:
        await submitter.submit(job)
    except BaseException:
        with contextlib.suppress(Exception):
            await submitter.withdraw(job)
        raise
    log.info("job_accepted", job_id=job.id, kind=job.kind, chat_id=job.chat_id, via="miniapp")
    return JSONResponse({"job_id": job.id}, status_code=202)


async def job_status(submitter: JobSubmitter, user: WebAppUser, job_id: str) -> dict[str, object]:
    job = await submitter.get_job(job_id) if len(job_id) <= 64 else None
    if job is None or job.user_id != user.id:
        raise HTTPException(404, "no such job")
    return {"job_id": job.id, "status": job.status, "error": job.error}
