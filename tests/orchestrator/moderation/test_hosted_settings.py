"""The hosted classifier's settings (MODERATION_HOSTED_*): defaults per kind, what each
kind requires, and the classifier they build."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.moderation.hosted import LlamaGuard, OpenAIModeration, hosted_layer
from orchestrator.settings import MissingSetting, Settings
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

KEY = "sk-fake-openai-moderation-key-0123456789"


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def test_off_by_default() -> None:
    settings = _settings()
    assert settings.moderation_hosted == "none"
    assert (settings.moderation_hosted_timeout_s, settings.moderation_hosted_cache) == (3.0, 10_000)
    assert hosted_layer(settings) is None


def test_openai_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_HOSTED", " OpenAI ")
    monkeypatch.setenv("MODERATION_HOSTED_KEY", KEY)
    settings = _settings()
    assert settings.moderation_hosted_url == "https://api.openai.com"
    assert settings.moderation_hosted_model == "omni-moderation-latest"
    assert KEY not in repr(settings)
    assert KEY in settings.secret_values()  # redacted from logs
    layer = hosted_layer(settings)
    assert layer is not None
    assert isinstance(layer.classifier, OpenAIModeration)
    assert layer.classifier.base_url == "https://api.openai.com"


def test_openai_needs_a_key() -> None:
    with pytest.raises(MissingSetting) as caught:
        _settings(moderation_hosted="openai", moderation_hosted_key=" ")  # blank is unset
    assert caught.value.variable == "MODERATION_HOSTED_KEY"


def test_llamaguard_needs_a_url_and_no_key() -> None:
    with pytest.raises(MissingSetting) as caught:
        _settings(moderation_hosted="llamaguard")
    assert caught.value.variable == "MODERATION_HOSTED_URL"
    settings = _settings(
        moderation_hosted="llamaguard", moderation_hosted_url="http://guard.internal:8000/v1"
    )
    assert settings.moderation_hosted_model == "meta-llama/Llama-Guard-3-8B"
    assert settings.moderation_hosted_key is None
    layer = hosted_layer(settings)
    assert layer is not None
    assert isinstance(layer.classifier, LlamaGuard)
    assert layer.classifier.base_url == "http://guard.internal:8000"


@pytest.mark.parametrize(
    "values",
    [
        {"moderation_hosted": "perspective"},
        {"moderation_hosted_url": "guard.internal:8000"},
        {"moderation_hosted_timeout_s": 0},
        {"moderation_hosted_cache": -1},
    ],
)
def test_bad_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _settings(**values)
