"""What the runtime does for front ends about their users' requests beyond admitting them:
notes a conversation needs (a question and what its answer applies to), cancelling a job,
forgetting a user's settings and gallery, and referrals (see
``orchestrator.frontend.JobSubmitter``)."""

from __future__ import annotations

from orchestrator.gallery import Gallery
from orchestrator.jobs.cancelling import request_cancel
from orchestrator.jobs.ending import JobEnding
from orchestrator.referrals import record_referral
from orchestrator.settings import Settings
from state.base import StateStore
from state.models import Job


class RequestsOfUsers:
    """Mixed into :class:`orchestrator.runtime.Runtime`, which sets ``settings``, ``store``,
    ``gallery`` and ``ending``."""

    settings: Settings
    store: StateStore
    gallery: Gallery
    ending: JobEnding

    async def remember(self, key: str, value: str, ttl_s: float) -> None:
        await self.store.remember(f"note:{key}", value, ttl_s)

    async def recall(self, key: str) -> str | None:
        return await self.store.recall(f"note:{key}")

    async def cancel(self, job_id: str) -> Job | None:
        """Cancel the job if it still waits or is being made (``orchestrator.jobs.cancelling``;
        one still waiting ends here and now): the job, or None when there is nothing to
        cancel."""
        job = await self.store.get_job(job_id)
        ttl_s = self.settings.job_deadline_s
        if job is None or not await request_cancel(self.store, self.ending, job, ttl_s):
            return None
        return job

    async def forget_user(self, user_id: int) -> None:
        await self.store.forget_user_settings(user_id)
        await self.gallery.clear(user_id)  # out of the gallery now; files by retention

    async def record_referral(self, user_id: int, referrer_id: int) -> bool:
        return await record_referral(self.store, user_id, referrer_id)
