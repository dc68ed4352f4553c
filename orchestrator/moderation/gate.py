"""Moderation wired into the job path: admission's first step and the worker's
image checks, with every block recorded.

``ModerationGate`` is a runtime component: it starts the ``Moderator`` (models load once,
in its thread pool) and the ``ModerationRecords``; it stops them in reverse.

- ``check_request(job)``: banned users, then repeat offenders under the chat's policy
  (``orchestrator/moderation/repeats.py``: paused per policy, warned the block before;
  admins are never paused), then the prompt (or edit instruction) under the chat's
  policy, which it stores on the job so every worker process applies the same one.
  Refuses with ``UserBanned``, ``UserThrottled`` or ``PromptBlocked``.
- ``check_input(job, data)``: the image to edit; ``InputImageBlocked``, or
  ``fulmine.errors.InvalidInput`` when it is not an image.
- ``allowed_outputs(job, images)``: checks every output at once and returns those allowed.
  An image the image check flags is handled as the job's chat has it
  (``orchestrator/moderation/flagged.py``, fixed at admission in ``job.flagged_images``):
  blocked, or sent behind a spoiler (its index in ``job.spoiler_images``), or sent as it
  is. When only some are blocked the allowed ones are sent (the user asked for several
  images and the others are fine); when all are blocked ``OutputImagesBlocked``, a normal
  job failure (the failure path releases any reservation). An output the model cannot
  read is never sent either; if nothing else is left: ``UnusableOutput``.
"""

from __future__ import annotations

import asyncio
import hashlib

import structlog

from fulmine.errors import InvalidInput
from orchestrator.moderation.errors import (
    InputImageBlocked,
    OutputImagesBlocked,
    PromptBlocked,
    UnreadableImage,
    UserBanned,
    UserThrottled,
)
from orchestrator.moderation.flagged import Flagged, chat_handling
from orchestrator.moderation.models import Check, Decision, Policy
from orchestrator.moderation.repeats import (
    INPUT_IMAGE,
    OUTPUT_IMAGE,
    PROMPT,
    RepeatBlocks,
    loosest_blocking,
)
from orchestrator.moderation.service import Moderator
from orchestrator.serving.metrics import MODERATION_BLOCKS
from orchestrator.settings import Settings
from orchestrator.stats.counters import blocks, count
from providers.base import ProviderImage
from providers.errors import UnusableOutput
from state.base import ModerationRecords, StateStore, StatsStore
from state.errors import StateError
from state.models import BlockRecord, Job

log = structlog.get_logger(__name__)


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()


class ModerationGate:
    def __init__(
        self,
        settings: Settings,
        records: ModerationRecords,
        stats: StatsStore,
        store: StateStore | None = None,
    ) -> None:
        self._settings = settings
        self.moderator = Moderator(settings)
        self.records = records  # started and stopped with the state backend
        self._stats = stats  # for the /stats counters
        self._store = store  # groups' own handling of flagged images; None: the default
        self._repeats = RepeatBlocks(settings, records)

    async def start(self) -> None:
        await self.moderator.start()

    async def stop(self) -> None:
        await self.moderator.stop()

    def policy_of(self, job: Job) -> Policy:
        if job.moderation_policy is not None:
            return Policy(job.moderation_policy)
        return self.moderator.policy_for(job.chat_type)

    async def check_request(self, job: Job) -> None:
        if await self.records.is_banned(job.user_id):
            raise UserBanned(job.user_id)
        policy = self.moderator.policy_for(job.chat_type)
        exempt = job.user_id in self._settings.admin_user_ids
        if not exempt and (paused_s := await self._repeats.paused_for(job.user_id, policy)):
            raise UserThrottled(job.user_id, paused_s)
        job.moderation_policy = policy.value
        if job.flagged_images is None:
            handling = await chat_handling(self._store, self._settings, job.chat_id, job.chat_type)
            job.flagged_images = handling.value
        decision = await self.moderator.check_prompt(job.prompt, policy)
        if not decision.allowed:
            loosest = await loosest_blocking(
                policy,
                lambda looser: self.moderator.check_prompt(job.prompt, looser, hosted=False),
            )
            await self._record(job, PROMPT, decision, loosest)
            refusal = PromptBlocked(*_why(decision))
            if not exempt:
                await self._repeats.tell(refusal, job.user_id, policy)
            raise refusal

    async def check_input(self, job: Job, data: bytes) -> None:
        policy = self.policy_of(job)
        try:
            decision = await self.moderator.check_image(data, policy)
        except UnreadableImage as exc:
            raise InvalidInput("moderation", exc.reason) from exc
        if not decision.allowed:
            loosest = await loosest_blocking(
                policy, lambda looser: self.moderator.check_image(data, looser)
            )
            await self._record(job, INPUT_IMAGE, decision, loosest)
            refusal = InputImageBlocked(*_why(decision))
            if job.user_id not in self._settings.admin_user_ids:
                await self._repeats.tell(refusal, job.user_id, policy)
            raise refusal

    async def allowed_outputs(self, job: Job, images: list[ProviderImage]) -> list[ProviderImage]:
        policy = self.policy_of(job)
        results = await asyncio.gather(
            *(self.moderator.check_image(image.data, policy) for image in images),
            return_exceptions=True,
        )
        handling = Flagged(job.flagged_images or Flagged.BLOCK)
        allowed: list[ProviderImage] = []
        blocked: list[Decision] = []
        job.spoiler_images = []
        for image, result in zip(images, results, strict=True):
            if isinstance(result, UnreadableImage):
                log.warning("moderation_output_unreadable", reason=result.reason)
            elif isinstance(result, BaseException):
                raise result
            elif result.allowed:
                allowed.append(image)
            elif handling is Flagged.BLOCK or Check.IMAGE_MODEL not in result.checks:
                blocked.append(result)
            else:  # flagged, and this chat sees such images (behind a spoiler or not)
                log.info("moderation_output_flagged", handling=handling.value, score=result.score)
                if handling is Flagged.SPOILER:
                    job.spoiler_images.append(len(allowed))
                allowed.append(image)
        for decision in blocked:
            await self._record(job, OUTPUT_IMAGE, decision)
        if allowed:
            if len(allowed) < len(images):
                log.info("moderation_outputs_dropped", sent=len(allowed), of=len(images))
            return allowed
        if blocked:
            raise OutputImagesBlocked(*_why(max(blocked, key=lambda d: d.score)))
        raise UnusableOutput("moderation", "no output image could be read")

    async def _record(
        self, job: Job, stage: str, decision: Decision, loosest: Policy | None = None
    ) -> None:
        category, score = _why(decision)
        MODERATION_BLOCKS.labels(category=category).inc()
        log.info(
            "moderation_blocked",
            stage=stage,
            category=category,
            score=round(score, 3),
            user_id=job.user_id,
            chat_id=job.chat_id,
            policy=decision.policy.value,
        )
        record = BlockRecord(
            user_id=job.user_id,
            chat_id=job.chat_id,
            stage=stage,
            category=category,
            score=score,
            prompt_hash=prompt_hash(job.prompt),
            prompt=job.prompt,
            policy=(loosest or decision.policy).value,
        )
        try:
            await self.records.record_block(record)
            await count(self._stats, blocks(category))
        except StateError as exc:  # the block stands; only its record is lost
            log.error("moderation_block_not_recorded", error=repr(exc))


def _why(decision: Decision) -> tuple[str, float]:
    category = decision.category.value if decision.category is not None else "unknown"
    return category, decision.score
