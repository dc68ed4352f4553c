from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.settings import MissingSetting, Settings, describe_validation_error
from tests.conftest import BOT_TOKEN

BASE = {"telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": "abc"}


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **{**BASE, **values})  # type: ignore[arg-type]


def test_defaults() -> None:
    settings = _settings()
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_base_url == "https://api.telegram.org/file/bot"
    assert settings.max_prompt_chars == 500
    assert settings.port == 8000
    assert settings.admin_user_ids == frozenset()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "from-env")
    monkeypatch.setenv("ADMIN_USER_IDS", " 42, 7 ,")
    monkeypatch.setenv("MAX_PROMPT_CHARS", "120")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.admin_user_ids == frozenset({42, 7})
    assert settings.max_prompt_chars == 120
    assert settings.telegram_webhook_secret.get_secret_value() == "from-env"


def test_secrets_are_hidden_in_repr() -> None:
    settings = _settings()
    assert BOT_TOKEN not in repr(settings)
    assert BOT_TOKEN not in str(settings.model_dump())
    assert set(settings.secret_values()) == {BOT_TOKEN, "abc"}


def test_validation_error_names_the_variable_and_hides_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(telegram_bot_token="12345:has spaces", port=0)
    line = describe_validation_error(caught.value)
    assert "TELEGRAM_BOT_TOKEN" in line
    assert "PORT" in line
    assert "has spaces" not in line
    assert "\n" not in line


def test_webhook_url_needs_public_url() -> None:
    with pytest.raises(MissingSetting) as caught:
        _ = _settings().webhook_url
    assert caught.value.variable == "PUBLIC_URL"
    assert (
        _settings(public_url="https://x.example/base/").webhook_url
        == "https://x.example/base/telegram/webhook"
    )


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown provider"):
        _settings(generate_provider="midjourney")
    assert _settings(edit_provider=" Placeholder ").edit_provider == "placeholder"
