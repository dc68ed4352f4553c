"""The GPU server's settings: ``GPU_*`` variables, read by ``fulmine gpu-server`` alone.

The server runs on its own machine without any TELEGRAM_* variable; the orchestrator's
settings carry only the client's side (``GPU_BACKEND_URLS``, ``GPU_SERVER_TOKEN``). The
server code reads this object directly, so each default is written once, here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CompileMode = Literal["auto", "on", "off"]
ENV_PREFIX = "GPU_"


class ConfigError(Exception):
    """A setting the server cannot start with; names the variable, never its value."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable} {reason}")
        self.variable = variable
        self.reason = reason


class GpuServerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    # The bearer token every generate/edit request must carry (the gpu provider sends it).
    server_token: SecretStr | None = None
    server_host: str = "0.0.0.0"
    server_port: int = Field(default=8100, ge=1, le=65535)
    # Local folders or hub names; "" or "none": no such endpoint on this server.
    generate_model: str | None = "black-forest-labs/FLUX.1-schnell"  # FluxPipeline
    edit_model: str | None = "black-forest-labs/FLUX.1-Kontext-dev"  # FluxKontextPipeline
    # The edit pipeline reuses the generate pipeline's text encoders and VAE (FLUX.1
    # models share them): about 10 GB less GPU memory.
    share_encoders: bool = True
    lora_dir: Path | None = None  # <name>.safetensors files, requested by name
    lora_cache: int = Field(default=4, ge=1, le=64)  # adapters kept loaded per model
    max_batch: int = Field(default=4, ge=1, le=64)  # images per pipeline call
    batch_window_ms: float = Field(default=25.0, ge=0, le=5000)
    queue_size: int = Field(default=32, ge=1, le=10000)  # waiting requests; then 503
    compile: CompileMode = "auto"  # auto: on CUDA only
    device: str | None = None  # e.g. cuda:1; unset: cuda if there is one, else cpu
    image_area: int = Field(default=1024 * 1024, ge=256, le=16 * 1024 * 1024)  # no size given
    max_side: int = Field(default=2048, ge=16, le=4096)
    generate_steps: int = Field(default=4, ge=1, le=100)  # FLUX.1-schnell: 4
    edit_steps: int = Field(default=28, ge=1, le=100)
    generate_guidance: float = Field(default=0.0, ge=0, le=30)  # schnell ignores it
    edit_guidance: float = Field(default=2.5, ge=0, le=30)
    max_sequence_length: int = Field(default=256, ge=16, le=512)  # schnell: at most 256
    warmup: bool = True
    max_input_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # an edit's input image

    @field_validator("server_token")
    @classmethod
    def _server_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("generate_model", "edit_model")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in {"", "none"}:
            return None
        return value.strip()

    @field_validator("lora_dir", "device", mode="before")
    @classmethod
    def _unset_if_blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def token(self) -> str:
        if self.server_token is None:
            raise ConfigError("GPU_SERVER_TOKEN", "is required to run the GPU server")
        return self.server_token.get_secret_value()

    @property
    def batch_window_s(self) -> float:
        return self.batch_window_ms / 1000

    def check(self) -> None:
        """What cannot work, said before torch is loaded (raises :class:`ConfigError`)."""
        _ = self.token
        if self.lora_dir is not None and not self.lora_dir.is_dir():
            raise ConfigError("GPU_LORA_DIR", "names a folder that does not exist")
        if not self.generate_model and not self.edit_model:
            raise ConfigError("GPU_GENERATE_MODEL", "or GPU_EDIT_MODEL must name a model")
        for variable, model in (
            ("GPU_GENERATE_MODEL", self.generate_model),
            ("GPU_EDIT_MODEL", self.edit_model),
        ):
            # A path (not a hub name like owner/model) must exist.
            is_path = bool(model) and str(model).startswith(("/", "./", "../", "~"))
            if is_path and not Path(str(model)).expanduser().exists():
                raise ConfigError(variable, "names a folder that does not exist")
