"""Settings of the model catalog, the image providers and the prompt writer, mixed into
:class:`orchestrator.settings.Settings` (the checks across settings stay there)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode


class ProviderSettings(BaseSettings):
    # The model catalog (orchestrator/catalog/): a TOML file; unset: the shipped default.
    # The model settings below override it (orchestrator/catalog/configured.py).
    catalog_file: str | None = None

    # Hosted image providers: keys, models, and how hard to try each call.
    replicate_api_token: SecretStr | None = None
    replicate_base_url: str = "https://api.replicate.com"
    fal_key: SecretStr | None = None
    generate_model: str = Field(
        default="black-forest-labs/flux-dev-lora", pattern=r"^[\w.-]+/[\w.-]+(:[0-9a-f]{8,})?$"
    )
    generate_lora: str | None = None  # Replicate lora_weights / fal loras[].path
    generate_lora_scale: float = Field(default=1.0, ge=-1, le=3)
    fal_generate_model: str = Field(default="fal-ai/flux-lora", pattern=r"^[\w.-]+(/[\w.-]+)+$")
    edit_model: str = Field(default="fal-ai/nano-banana/edit", pattern=r"^[\w.-]+(/[\w.-]+)+$")
    provider_attempts: int = Field(default=3, ge=1, le=10)  # tries of one call, in all
    provider_backoff_s: float = Field(default=1.0, gt=0)  # first retry wait, then doubling
    provider_max_wait_s: float = Field(default=20.0, gt=0)  # longest wait / Retry-After honoured
    provider_request_timeout_s: float = Field(default=20.0, gt=0)  # one HTTP call
    provider_poll_interval_s: float = Field(default=1.0, gt=0)

    # Prompt enhancement (orchestrator/enhancement.py): none (offline: --enhance answers
    # that it is not configured), openai (any OpenAI-compatible chat endpoint) or replicate
    # (REPLICATE_API_TOKEN). LLM_MODEL unset: gpt-4o-mini / meta/meta-llama-3-8b-instruct.
    llm_backend: Literal["none", "openai", "replicate"] = "none"
    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: SecretStr | None = None
    llm_model: str = ""
    llm_timeout_s: float = Field(default=10.0, gt=0, le=60)  # then the user's own prompt
    llm_cache_s: float = Field(default=7 * 24 * 3600.0, ge=1)  # answers kept per prompt

    # Self-hosted GPU provider: the client of `fulmine gpu-server`, with the server's bearer
    # token. One or more comma-separated server URLs: the least loaded is tried first.
    gpu_server_token: SecretStr | None = None
    gpu_backend_urls: Annotated[tuple[str, ...], NoDecode] = ()
    gpu_lora: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    gpu_lora_scale: float = Field(default=1.0, ge=-4, le=4)
    gpu_steps: int | None = Field(default=None, ge=1, le=100)  # unset: the server's default
    gpu_output_format: Literal["png", "webp", "jpeg"] = "png"
    gpu_request_timeout_s: float = Field(default=120.0, gt=0)  # one call, queue included
