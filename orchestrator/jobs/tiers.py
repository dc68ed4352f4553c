"""A job's tier (``state/scheduling.py``): how soon it runs, from how it is paid.

- already set (a front end or catalog entry that sells turbo, an API that only takes paid
  work): kept;
- an admin, or a user in ``TURBO_USER_IDS`` (the operator's grant): turbo;
- credits reserved for it (bought, not the free allowance): fast;
- otherwise (the free allowance, or ``PAYMENTS_BACKEND=none``): relax.
"""

from __future__ import annotations

from orchestrator.settings import Settings
from state.models import Job, Tier


def tier_for(settings: Settings, job: Job) -> Tier:
    if job.tier is not None:
        return job.tier
    if job.user_id in settings.admin_user_ids or job.user_id in settings.turbo_user_ids:
        return Tier.TURBO
    if settings.payments_backend != "none" and job.reserved_sats:
        return Tier.FAST
    return Tier.RELAX
