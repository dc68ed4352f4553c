"""Settings of the fair queue (``state/scheduling.py``), mixed into
:class:`orchestrator.settings.Settings`: one class for the deployable, kept apart so that
file stays readable."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from state.models import Tier
from state.scheduling import TierPolicy


class QueueSettings(BaseSettings):
    # Scheduling (state/scheduling.py): the tiers' weights, the share of the picks every
    # tier with jobs waiting keeps, and how long a job of each tier waits before it is
    # promoted, as "turbo=10,fast=5,relax=1". TURBO_USER_IDS: users the operator grants
    # turbo (admins have it); credits bought give fast, the free allowance relax.
    queue_tier_weights: Annotated[dict[Tier, int], NoDecode] = Field(
        default_factory=lambda: dict(TierPolicy().weights)
    )
    queue_min_share: float = Field(default=0.10, ge=0, le=0.33)
    queue_max_wait_s: Annotated[dict[Tier, float], NoDecode] = Field(
        default_factory=lambda: dict(TierPolicy().max_wait_s)
    )
    turbo_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    @field_validator("queue_tier_weights", "queue_max_wait_s", mode="before")
    @classmethod
    def _per_tier(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.partition("=") for part in value.split(",") if part.strip()]
            value = {name.strip().lower(): number.strip() for name, _, number in pairs}
        if isinstance(value, dict) and set(value) != {tier.value for tier in Tier}:
            raise ValueError("must give turbo, fast and relax each a number, e.g. turbo=10")
        return value

    @field_validator("queue_tier_weights")
    @classmethod
    def _positive_weights(cls, value: dict[Tier, int]) -> dict[Tier, int]:
        if any(weight < 1 for weight in value.values()):
            raise ValueError("weights must be whole numbers of 1 or more")
        return value

    @field_validator("queue_max_wait_s")
    @classmethod
    def _positive_waits(cls, value: dict[Tier, float]) -> dict[Tier, float]:
        if any(wait <= 0 for wait in value.values()):
            raise ValueError("maximum waits must be more than 0 seconds")
        return value

    def tier_policy(self) -> TierPolicy:
        return TierPolicy(self.queue_tier_weights, self.queue_min_share, self.queue_max_wait_s)
