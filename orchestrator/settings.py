"""The one settings class: read from the environment and an optional ``.env`` file."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret token.
WEBHOOK_SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,256}$"
BOT_TOKEN_PATTERN = r"^\d+:[A-Za-z0-9_-]+$"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr
    telegram_webhook_secret: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    public_url: AnyHttpUrl | None = None
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # "auto": the first hosted provider with a key, else the offline placeholder.
    generate_provider: str = "auto"
    edit_provider: str = "auto"
    max_prompt_chars: int = Field(default=500, ge=1, le=4000)

    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"

    generate_timeout_s: float = Field(default=90.0, gt=0)
    edit_timeout_s: float = Field(default=30.0, gt=0)
    worker_concurrency: int = Field(default=8, ge=1, le=1000)
    shutdown_grace_s: float = Field(default=25.0, ge=0)

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
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("admin_user_ids", mode="before")
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

        name = value.strip().lower()
        if name != "auto" and name not in PROVIDERS:
            known = ", ".join(["auto", *sorted(PROVIDERS)])
            raise ValueError(f"names an unknown provider (known: {known})")
        return name

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

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


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the environment variable(s) at fault; never the values."""
    problems = []
    for error in exc.errors():
        variable = "_".join(str(part) for part in error["loc"]).upper() or "settings"
        message = "is not set" if error["type"] == "missing" else error["msg"]
        message = message.removeprefix("Value error, ")
        problems.append(f"{variable} {message}")
    return "; ".join(problems)
