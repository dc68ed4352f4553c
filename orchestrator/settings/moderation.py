"""Settings of moderation (``orchestrator/moderation/``, README "Moderation"), mixed into
:class:`orchestrator.settings.Settings`; the hosted classifier's checks across settings
stay there."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode


class ModerationSettings(BaseSettings):
    # Moderation: orchestrator/moderation/, README "Moderation".
    # Policy per chat kind: off (only the minors rule; images unchecked) / standard / strict.
    moderation_private: Literal["off", "standard", "strict"] = "standard"
    moderation_groups: Literal["off", "standard", "strict"] = "strict"  # groups, channels
    # Prompt thresholds per category overriding the defaults in moderation/models.py,
    # as "sexual=0.7,abuse=0.95"; strict multiplies them by the factor (all but abuse's).
    moderation_thresholds: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    moderation_strict_factor: float = Field(default=0.6, gt=0, le=1)
    # Image thresholds on open_nsfw's P(nsfw), for standard and for strict.
    moderation_image_threshold: float = Field(default=0.8, gt=0, le=1)
    moderation_image_threshold_strict: float = Field(default=0.4, gt=0, le=1)
    # Comma-separated phrases added to the allow-list (known false positives).
    moderation_allow_terms: Annotated[tuple[str, ...], NoDecode] = ()
    moderation_terms_dir: str | None = None  # replaces the bundled term lists
    moderation_image_model_path: str | None = None  # a copy of open-nsfw.onnx (SHA-256 checked)
    moderation_threads: int = Field(default=2, ge=1, le=32)  # the checks' thread pool
    # Bearer key of POST /api/v1/moderation/check; unset: the endpoint answers 404.
    moderation_api_key: SecretStr | None = None
    # Output images the image check flags: "block" (not sent), "spoiler" (sent behind
    # Telegram's spoiler), "allow" (sent as they are). The default holds in private chats
    # and in groups whose admins chose nothing; a group may choose in /settings, up to the
    # max (orchestrator/moderation/flagged.py).
    moderation_flagged_images: Literal["block", "spoiler", "allow"] = "block"
    moderation_group_flagged_images_max: Literal["block", "spoiler", "allow"] = "spoiler"
    # Repeat offenders: this many blocks within the window throttle the user for the
    # cool-down (0 blocks: never).
    moderation_repeat_blocks: int = Field(default=3, ge=0)
    moderation_repeat_window_s: float = Field(default=3600.0, gt=0)
    moderation_repeat_cooldown_s: float = Field(default=3600.0, gt=0)
    # A hosted classifier asked about prompts the local checks let through (moderation/
    # hosted/): none, openai (the moderations endpoint) or llamaguard (Llama Guard 3 behind
    # an OpenAI-compatible chat completions endpoint). Its outage never refuses a request.
    moderation_hosted: Literal["none", "openai", "llamaguard"] = "none"
    moderation_hosted_url: str | None = None  # openai: https://api.openai.com; llamaguard: required
    moderation_hosted_key: SecretStr | None = None  # bearer key; required for openai
    moderation_hosted_model: str | None = None  # omni-moderation-latest / Llama-Guard-3-8B
    moderation_hosted_timeout_s: float = Field(default=3.0, gt=0, le=30)  # one call, in all
    moderation_hosted_cache: int = Field(default=10_000, ge=0)  # verdicts kept (LRU); 0: none

    @field_validator("moderation_thresholds", mode="before")
    @classmethod
    def _moderation_thresholds(cls, value: object) -> object:
        from orchestrator.moderation.models import Category

        if isinstance(value, str):
            pairs = [part.partition("=") for part in value.split(",") if part.strip()]
            try:
                value = {name.strip(): float(number) for name, _, number in pairs}
            except ValueError:
                raise ValueError("must look like sexual=0.7,abuse=0.95") from None
        if isinstance(value, dict):
            known = {category.value for category in Category}
            unknown = sorted(str(name) for name in value if name not in known)
            if unknown:
                raise ValueError(f"names unknown categories {unknown} (known: {sorted(known)})")
            if any(not 0 < float(number) <= 1 for number in value.values()):
                raise ValueError("thresholds must be above 0 and at most 1")
        return value

    @field_validator("moderation_allow_terms", mode="before")
    @classmethod
    def _moderation_allow_terms(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
