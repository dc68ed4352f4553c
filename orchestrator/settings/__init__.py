"""The orchestrator's settings: read from the environment and an optional ``.env`` file.

One class for the deployable that runs ``fulmine serve`` and ``fulmine worker`` (with its
front ends); the GPU server has its own (``gpu_server/settings.py``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from orchestrator.settings.api import ApiSettings
from orchestrator.settings.fiat import FiatSettings
from orchestrator.settings.moderation import ModerationSettings
from orchestrator.settings.payments import PaymentSettings
from orchestrator.settings.providers import ProviderSettings
from orchestrator.settings.queue import QueueSettings
from orchestrator.settings.telegram import TelegramSettings

# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret token;
# it is all that tells Telegram's updates from forged ones, so a short one is refused.
WEBHOOK_SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,256}$"
WEBHOOK_SECRET_MIN_CHARS = 16
BOT_TOKEN_PATTERN = r"^\d+:[A-Za-z0-9_-]+$"
# MODERATION_HOSTED kind -> (default URL, default model); Llama Guard has no default host.
HOSTED_DEFAULTS: dict[str, tuple[str | None, str]] = {
    "openai": ("https://api.openai.com", "omni-moderation-latest"),
    "llamaguard": (None, "meta-llama/Llama-Guard-3-8B"),
}


class Settings(
    ApiSettings,
    TelegramSettings,
    ProviderSettings,
    QueueSettings,
    PaymentSettings,
    FiatSettings,
    ModerationSettings,
    BaseSettings,
):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr
    telegram_webhook_secret: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    public_url: AnyHttpUrl | None = None
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # A provider name, or a comma-separated fallback chain ("replicate,fal"). "auto": the
    # hosted providers whose keys are set (generate: replicate then fal; edit: fal), else
    # the offline placeholder.
    generate_provider: str = "auto"
    edit_provider: str = "auto"
    max_prompt_chars: int = Field(default=500, ge=1, le=4000)
    # In a private chat, words without a command are a prompt (off: they get a hint).
    plain_text_prompts: bool = True
    # How long the bot's questions ("What should I draw?") wait for their answer.
    ask_ttl_s: float = Field(default=24 * 3600.0, gt=0, le=30 * 24 * 3600.0)

    # Limits: Telegram updates and payment webhooks are a few KB; nothing needs more.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Each request must arrive whole this long after its first byte (or the connection's
    # opening); connections and requests at once, past which `fulmine serve` answers 503.
    request_receive_timeout_s: float = Field(default=10.0, gt=0, le=300)
    max_connections: int = Field(default=1000, ge=10, le=100_000)
    # /metrics shows revenue and moderation counts: it needs this bearer token (unset: the
    # route answers 404). METRICS_PORT: the metrics also on an internal port, no token.
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"
    # /ready keeps what it asked other services (the Bot API, GPU servers) this long.
    ready_cache_s: float = Field(default=5.0, ge=0, le=60)

    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"

    generate_timeout_s: float = Field(default=90.0, gt=0)
    edit_timeout_s: float = Field(default=30.0, gt=0)
    worker_concurrency: int = Field(default=8, ge=1, le=1000)
    # Updates handled at once per process; more wait their turn (well under the Bot API
    # client's pool of 256 connections).
    max_concurrent_updates: int = Field(default=64, ge=1, le=10_000)
    # Updates of one chat are handled one at a time (a chat under Telegram's flood control
    # holds one slot, not all); this many may wait behind, the newer ones are dropped.
    max_waiting_per_chat: int = Field(default=20, ge=1, le=1000)
    shutdown_grace_s: float = Field(default=25.0, ge=0)

    # State and scale-out. No REDIS_URL: one process, state in memory.
    redis_url: SecretStr | None = None  # may carry a password
    redis_key_prefix: str = Field(default="fulmine:", pattern=r"^[A-Za-z0-9_:.{}-]{0,64}$")
    rate_limit_per_minute: int = Field(default=5, ge=0)  # per user; 0: no limit
    rate_limit_chat_per_minute: int = Field(default=20, ge=0)  # per group chat; 0: no limit
    max_concurrent_jobs: int = Field(default=100, ge=1)  # accepted and not finished, all workers
    job_deadline_s: float = Field(default=600.0, gt=0)  # from acceptance to delivery
    job_visibility_timeout_s: float = Field(default=60.0, gt=0)  # then a dead worker's job moves
    job_max_attempts: int = Field(default=3, ge=1)
    queue_edit_interval_s: float = Field(default=5.0, gt=0)  # per chat, queue position edits

    # Provenance (orchestrator/provenance): the operator's C2PA certificate chain and key,
    # as PEM text or a file's path; without them a development certificate is made at
    # start-up, which validators call untrusted. The prompt stays out of the manifest
    # unless asked for. A watermark names its job for `provenance_keep_s`; the signed file
    # behind "Original file" is kept `provenance_originals_s`.
    provenance_cert: SecretStr | None = None
    provenance_key: SecretStr | None = None
    provenance_include_prompt: bool = False
    provenance_keep_s: float = Field(default=90 * 86400.0, gt=0)
    provenance_originals_s: float = Field(default=86400.0, gt=0)

    # Operations: /stats estimates provider spend as successful calls times this
    # price in sats (the unit revenue is counted in), e.g. "replicate=40,fal=50,gpu=5".
    # A fallback chain ("replicate,fal") is priced as its first provider unless named itself.
    provider_cost_sats: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)

    @field_validator("provider_cost_sats", mode="before")
    @classmethod
    def _provider_cost_sats(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.partition("=") for part in value.split(",") if part.strip()]
            try:
                value = {name.strip(): int(number) for name, _, number in pairs}
            except ValueError:
                raise ValueError("must look like replicate=40,fal=50") from None
        if isinstance(value, dict) and any(int(cost) < 0 for cost in value.values()):
            raise ValueError("costs must be 0 or more sats")
        return value

    @field_validator("moderation_terms_dir", "moderation_image_model_path", "catalog_file")
    @classmethod
    def _moderation_paths(cls, value: str | None) -> str | None:
        from pathlib import Path

        if value is None or not value.strip():
            return None
        if not Path(value).exists():
            raise ValueError("names a path that does not exist")
        return value

    @field_validator("moderation_api_key", "metrics_token", "gpu_server_token")
    @classmethod
    def _optional_key(cls, value: SecretStr | None) -> SecretStr | None:
        """Blank is unset; a key that is set is long enough not to be guessed."""
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        import re

        if not re.fullmatch(BOT_TOKEN_PATTERN, value.get_secret_value()):
            # Never echo the value: it is a secret.
            raise ValueError("must look like 123456:ABC... (the token BotFather gave you)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        import re

        if not re.fullmatch(WEBHOOK_SECRET_PATTERN, value.get_secret_value()):
            raise ValueError("must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        if len(value.get_secret_value()) < WEBHOOK_SECRET_MIN_CHARS:
            raise ValueError(
                f"must be at least {WEBHOOK_SECRET_MIN_CHARS} characters"
                " (e.g. `openssl rand -hex 32`)"
            )
        return value

    @field_validator("gpu_backend_urls", mode="before")
    @classmethod
    def _gpu_backend_urls(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        if isinstance(value, tuple | list) and not all(
            isinstance(url, str) and url.startswith(("http://", "https://")) for url in value
        ):
            raise ValueError("must be comma-separated http:// or https:// URLs")
        return value

    @field_validator("admin_user_ids", "turbo_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError("must be comma-separated numeric Telegram user ids") from None
        return value

    @field_validator("generate_provider", "edit_provider")
    @classmethod
    def _provider_names(cls, value: str) -> str:
        from providers.registry import PROVIDERS

        names = [part.strip().lower() for part in value.split(",") if part.strip()]
        if names == ["auto"]:
            return "auto"
        if not names or any(name not in PROVIDERS for name in names):
            known = ", ".join(["auto", *sorted(PROVIDERS)])
            raise ValueError(
                f"names an unknown provider (known: {known}; or a comma-separated chain)"
            )
        if len(set(names)) != len(names):
            raise ValueError("names a provider twice")
        return ",".join(names)

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("moderation_hosted", "llm_backend", mode="before")
    @classmethod
    def _hosted_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("moderation_hosted_url", "moderation_hosted_model")
    @classmethod
    def _hosted_blank_is_unset(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("moderation_hosted_key")
    @classmethod
    def _hosted_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @field_validator("moderation_hosted_url")
    @classmethod
    def _hosted_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _hosted_complete(self) -> Settings:
        # Unset URL and model take the kind's defaults; what has none must be given.
        kind = self.moderation_hosted
        if kind == "none":
            return self
        url, model = HOSTED_DEFAULTS[kind]
        self.moderation_hosted_url = self.moderation_hosted_url or url
        self.moderation_hosted_model = self.moderation_hosted_model or model
        if self.moderation_hosted_url is None:
            raise MissingSetting(
                "MODERATION_HOSTED_URL", f"is required when MODERATION_HOSTED={kind}"
            )
        if kind == "openai" and self.moderation_hosted_key is None:
            raise MissingSetting(
                "MODERATION_HOSTED_KEY", f"is required when MODERATION_HOSTED={kind}"
            )
        return self

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        defaults = {"openai": "gpt-4o-mini", "replicate": "meta/meta-llama-3-8b-instruct"}
        if self.llm_backend == "none":
            return self
        self.llm_model = self.llm_model.strip() or defaults[self.llm_backend]
        if self.llm_backend == "replicate" and self.replicate_api_token is None:
            raise MissingSetting("REPLICATE_API_TOKEN", "is required when LLM_BACKEND=replicate")
        if not self.llm_base_url.startswith(("http://", "https://")):
            raise MissingSetting("LLM_BASE_URL", "must be an http:// or https:// URL")
        return self

    @model_validator(mode="after")
    def _payment_backend_complete(self) -> Settings:
        required = {
            "lnbits": ("lnbits_url", "lnbits_invoice_key"),
            "btcpay": ("btcpay_url", "btcpay_api_key", "btcpay_store_id", "btcpay_webhook_secret"),
        }.get(self.payments_backend, ())
        for name in required:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value is None or not str(value).strip():
                reason = f"is required when PAYMENTS_BACKEND={self.payments_backend}"
                raise MissingSetting(name.upper(), reason)
        return self

    @model_validator(mode="after")
    def _real_payments_kept_in_redis(self) -> Settings:
        # Without Redis the ledger lives in this process: a restart would erase paid
        # balances, and an invoice paid after it could no longer be matched and credited.
        # "fake" and "none" move no real money, so they may run in memory.
        if self.payments_backend in {"lnbits", "btcpay"} and self.redis_url is None:
            raise MissingSetting(
                "REDIS_URL",
                f"is required when PAYMENTS_BACKEND={self.payments_backend}:"
                " balances kept in memory would be lost on a restart",
            )
        return self

    @property
    def webhook_url(self) -> str:
        if self.public_url is None:
            raise MissingSetting("PUBLIC_URL", "is required to set the webhook")
        return str(self.public_url).rstrip("/") + "/telegram/webhook"

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds, for log redaction."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values.append(value.get_secret_value())
        return values


class MissingSetting(Exception):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable} {reason}")
        self.variable = variable
        self.reason = reason


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One line naming the environment variable(s) at fault; never the values.

    ``prefix``: the settings class's ``env_prefix`` (the GPU server's ``GPU_``)."""
    problems = []
    for error in exc.errors():
        variable = prefix + "_".join(str(part) for part in error["loc"]).upper() or "settings"
        message = "is not set" if error["type"] == "missing" else error["msg"]
        message = message.removeprefix("Value error, ")
        problems.append(f"{variable} {message}")
    return "; ".join(problems)
