"""The bodies the Mini App's API takes, bounded before anything costs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.preferences import MAX_IMAGES


class NewImage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000)  # MAX_PROMPT_CHARS applies after
    model: str | None = Field(default=None, max_length=64)
    aspect_ratio: str | None = Field(default=None, max_length=8)
    num_images: int | None = Field(default=None, ge=1, le=MAX_IMAGES)
    enhance: bool = False
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, max_length=64)
    aspect_ratio: str | None = Field(default=None, max_length=8)
    num_images: int | None = Field(default=None, ge=1, le=MAX_IMAGES)
    enhance: bool | None = None


class Purchase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sats: int = Field(ge=1, le=1_000_000)


class FollowUp(BaseModel):
    """Variations or Upscale of one image of a gallery entry."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(default=0, ge=0, le=9)  # which image of the entry (an album's n-th)
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


class EditBody(FollowUp):
    instruction: str = Field(min_length=1, max_length=2000)  # MAX_PROMPT_CHARS applies after
