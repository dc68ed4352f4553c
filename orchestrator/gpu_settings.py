"""The GPU server's settings, part of :class:`orchestrator.settings.Settings`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


# GPU server: `fulmine gpu-server` runs on the GPU machine without any TELEGRAM_*
# variable, so it reads only this part of the settings; Settings below includes every field.
class GpuServerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # The bearer token of the GPU server; the `gpu` provider sends the same value.
    gpu_server_token: SecretStr | None = None
    gpu_server_host: str = "0.0.0.0"
    gpu_server_port: int = Field(default=8100, ge=1, le=65535)
    # Local folders or hub names; "" or "none": no such endpoint on this server.
    gpu_generate_model: str = "black-forest-labs/FLUX.1-schnell"
    gpu_edit_model: str = "black-forest-labs/FLUX.1-Kontext-dev"
    gpu_share_encoders: bool = True  # edit reuses generate's text encoders and VAE
    gpu_lora_dir: str | None = None  # <name>.safetensors files, requested by name
    gpu_lora_cache: int = Field(default=4, ge=1, le=64)  # adapters kept loaded per model
    gpu_max_batch: int = Field(default=4, ge=1, le=64)  # images per pipeline call
    gpu_batch_window_ms: float = Field(default=25.0, ge=0, le=5000)
    gpu_queue_size: int = Field(default=32, ge=1, le=10000)  # waiting requests; then 503
    gpu_compile: Literal["auto", "on", "off"] = "auto"  # auto: on CUDA only
    gpu_device: str | None = None  # e.g. cuda:1; unset: cuda if there is one, else cpu
    gpu_image_area: int = Field(default=1024 * 1024, ge=256, le=16 * 1024 * 1024)
    gpu_max_side: int = Field(default=2048, ge=16, le=4096)
    gpu_generate_steps: int = Field(default=4, ge=1, le=100)  # FLUX.1-schnell: 4
    gpu_edit_steps: int = Field(default=28, ge=1, le=100)
    gpu_generate_guidance: float = Field(default=0.0, ge=0, le=30)  # schnell ignores it
    gpu_edit_guidance: float = Field(default=2.5, ge=0, le=30)
    gpu_max_sequence_length: int = Field(default=256, ge=16, le=512)  # schnell: at most 256
    gpu_warmup: bool = True

    @field_validator("gpu_server_token")
    @classmethod
    def _gpu_server_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("gpu_generate_model", "gpu_edit_model")
    @classmethod
    def _gpu_model(cls, value: str) -> str:
        return "" if value.strip().lower() in {"", "none"} else value.strip()

    @field_validator("gpu_lora_dir", "gpu_device")
    @classmethod
    def _gpu_unset_if_blank(cls, value: str | None) -> str | None:
        return value.strip() if value is not None and value.strip() else None
