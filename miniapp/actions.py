"""Variations, Edit and Upscale of a gallery image: the same requests as the chat's buttons
under a result, through the same admission, delivered to the user's private chat with the
bot (so they appear there and in the gallery).

The source is the image the chat was sent, found through the entry's job (kept seven days
by the state store; a Telegram file id lasts). Once that job is forgotten the action is
refused as ``expired``: the image can still be downloaded, or replied to in the chat."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

from miniapp.init_data import WebAppUser
from miniapp.jobs import REQUEST_TTL_S, admit_and_submit, refused
from miniapp.schemas import EditBody, FollowUp
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.models import InputImage, Job, JobKind

VARIATION_STRENGTH = 0.6  # image-to-image, as the chat's Variations: close to the image


async def _original(
    submitter: JobSubmitter, user: WebAppUser, entry_id: str, index: int
) -> Job | None:
    """The job that made the entry, when it is still known and has an ``index``-th image;
    404 when the entry is not the user's."""
    entry = await submitter.gallery.item(user.id, entry_id[:64])
    if entry is None:
        raise HTTPException(404, "no such image")
    job = await submitter.get_job(entry.entry.id)
    if job is None or job.user_id != user.id or index >= len(job.result_file_ids):
        return None
    return job


def _in_chat(
    user: WebAppUser, source: InputImage, kind: JobKind, prompt: str, **options: Any
) -> Job:
    return Job(
        kind=kind,
        prompt=prompt,
        chat_id=user.id,  # the user's private chat with the bot
        user_id=user.id,
        request_message_id=0,
        input_image=source,
        language=user.language_code,
        requester_name=user.first_name,
        frontend="telegram",  # delivered in the chat, recorded in the gallery
        **options,
    )


async def follow_up(
    settings: Settings,
    submitter: JobSubmitter,
    user: WebAppUser,
    entry_id: str,
    kind: str,
    body: FollowUp,
) -> JSONResponse:
    """Start ``kind`` (``variations``, ``upscale`` or ``edit``) of the entry's image."""
    instruction = body.instruction.strip() if isinstance(body, EditBody) else ""
    if isinstance(body, EditBody) and not 0 < len(instruction) <= settings.max_prompt_chars:
        return refused(422, "instruction_length", max_chars=settings.max_prompt_chars)
    original = await _original(submitter, user, entry_id, body.index)
    if original is None:
        return refused(410, "expired")
    if not await submitter.first_time(f"miniapp:{user.id}:{body.request_id}", REQUEST_TTL_S):
        return refused(409, "repeated")
    source = InputImage(file_id=original.result_file_ids[body.index])
    saved = await submitter.preferences(user.id)
    if kind == "upscale":  # one image, of the catalog's upscale model, never rewritten
        job = _in_chat(user, source, JobKind.UPSCALE, original.prompt)
    elif kind == "edit":
        job = _in_chat(
            user,
            source,
            JobKind.EDIT,
            instruction,
            aspect_ratio=saved.aspect_ratio or "1:1",
            num_images=saved.num_images or 1,
            model=saved.model_for(JobKind.EDIT),
            enhance=saved.enhance,
        )
    else:  # variations: the original prompt, image-to-image from the chosen image
        same_model = original.model if original.kind is JobKind.GENERATE else None
        job = _in_chat(
            user,
            source,
            JobKind.GENERATE,
            original.original_prompt or original.prompt,
            aspect_ratio=original.aspect_ratio,
            num_images=original.num_images,
            model=same_model or saved.model_for(JobKind.GENERATE),
            enhance=saved.enhance,
            variation_strength=VARIATION_STRENGTH,
        )
    return await admit_and_submit(submitter, job)
