"""Admission: the checks every job passes, in order, before anything is spent on it.

Each step either lets the job through or raises a typed refusal (``RateLimited``, ...)
that the front end turns into words; a later step that refuses gives back what the
earlier steps took. Order matters: nothing that costs the user (a rate-limit slot, a
reservation of credits) is taken for a request that a cheaper check refuses.

0. the model (``orchestrator.catalog.choice``): the one named must be offered, its LoRA
   allowed; the job's price is fixed from the catalog. It takes nothing.
1. moderation (``orchestrator.moderation.gate``): banned users, repeat offenders,
   then the prompt; refusals are ``ModerationRefusal``s. It takes nothing, so it goes first.
2. rate limits: per user and per group chat (a sliding minute) and the jobs in flight
   across all processes. Admins pass every limit, but their jobs still count in flight.
   Then, when the job asks for it, prompt enhancement (``orchestrator.enhancement``):
   the enhanced prompt is checked by moderation too before it replaces the user's; a
   failed enhancement keeps the user's prompt and marks the job so the user is told.
3. payment (``orchestrator.payments``; only when PAYMENTS_BACKEND is not none):
   reserve the price, or park the job behind an invoice (``PaymentRequired``), giving back
   its in-flight slot while it waits.
4. the job's tier, from how it was paid (``orchestrator.jobs.tiers``).
"""

from __future__ import annotations

import contextlib

from fulmine.errors import Refusal
from orchestrator.catalog import Catalog
from orchestrator.catalog.choice import choose
from orchestrator.enhancement import PromptEnhancer
from orchestrator.errors import JobCancelled
from orchestrator.jobs.tiers import tier_for
from orchestrator.moderation.gate import ModerationGate
from orchestrator.payments.service import PaymentService
from orchestrator.serving.metrics import RATE_LIMITED
from orchestrator.settings import Settings
from orchestrator.stats.counters import REQUESTS_RATE_LIMITED, count
from state.base import StateStore, StatsStore
from state.errors import RateLimited, StateError
from state.models import InFlightCap, Job, Limit

RATE_WINDOW_S = 60.0
LEASE_MARGIN_S = 60.0  # an in-flight slot outlives its job's deadline by this much


class Admission:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        stats: StatsStore,
        moderation: ModerationGate,
        payments: PaymentService | None = None,
        catalog: Catalog | None = None,
        enhancer: PromptEnhancer | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._stats = stats
        self._moderation = moderation
        self._payments = payments
        self._catalog = catalog
        self._enhancer = enhancer

    async def admit(self, job: Job) -> None:
        if self._catalog is not None:
            choose(self._catalog, job)
        await self._moderation.check_request(job)
        await self._take_rate_limit_slot(job)
        try:
            await self._enhance(job)
        except BaseException:
            await self._store.release(job.id)  # refused: it holds no slot
            raise
        await self._charge(job)
        job.tier = tier_for(self._settings, job)

    async def _enhance(self, job: Job) -> None:
        if not job.enhance or self._enhancer is None:
            job.enhance = False  # a setting left on where no model is configured
            return
        result = await self._enhancer.enhance(job.prompt)
        if not result.enhanced:
            job.enhance_failed = True
            return
        original, job.original_prompt, job.prompt = job.prompt, job.prompt, result.prompt
        try:
            await self._moderation.check_request(job)
        except BaseException:
            job.prompt, job.original_prompt = original, None
            raise

    async def withdraw(self, job: Job) -> None:
        """Give back what an admitted job took: it could not be submitted after all."""
        await self._store.release(job.id)
        if self._payments is not None:
            await self._payments.release(job)

    async def _charge(self, job: Job) -> None:
        if self._payments is None:
            return
        try:
            await self._payments.charge(job)
        except BaseException:
            await self._store.release(job.id)  # parked or refused: it holds no slot
            raise

    async def _take_rate_limit_slot(self, job: Job) -> None:
        settings = self._settings
        exempt = job.user_id in settings.admin_user_ids
        limits = rate_limits(settings, job)
        cap = InFlightCap(
            max_jobs=None if exempt else settings.max_concurrent_jobs,
            lease_s=settings.job_deadline_s + LEASE_MARGIN_S,
        )
        try:
            await self._store.admit(job.id, limits, cap)
        except RateLimited as exc:
            RATE_LIMITED.labels(scope=exc.scope).inc()
            with contextlib.suppress(StateError):  # the refusal matters, not its count
                await count(self._stats, REQUESTS_RATE_LIMITED)
            raise


def rate_limits(settings: Settings, job: Job) -> list[Limit]:
    """The sliding windows a job is counted in: its sender's, and in a group its chat's
    (a private chat's limit is its user's); none for an admin."""
    if job.user_id in settings.admin_user_ids:
        return []
    limits = []
    if settings.rate_limit_per_minute:
        limits.append(
            Limit("user", f"user:{job.user_id}", settings.rate_limit_per_minute, RATE_WINDOW_S)
        )
    if settings.rate_limit_chat_per_minute and job.chat_id < 0:  # negative ids are groups
        per_chat = settings.rate_limit_chat_per_minute
        limits.append(Limit("chat", f"chat:{job.chat_id}", per_chat, RATE_WINDOW_S))
    return limits


async def forgive_failure(
    store: StateStore, settings: Settings, job: Job, error: BaseException
) -> None:
    """A job that failed on our side or the provider's is taken out of its rate-limit
    windows; a refusal (the provider's policy, moderation) or a cancellation is not."""
    if isinstance(error, Refusal | JobCancelled):
        return
    with contextlib.suppress(StateError):
        await store.forget_hits(job.id, [limit.key for limit in rate_limits(settings, job)])
