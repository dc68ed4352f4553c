from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.settings import MissingSetting, Settings, describe_validation_error
from state.models import Tier
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, make_settings

BASE = {"telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": WEBHOOK_SECRET}
LNBITS = {"lnbits_url": "http://lnbits.local:5000", "lnbits_invoice_key": "inkey-secret-1"}
BTCPAY = {
    "btcpay_url": "https://pay.example.org",
    "btcpay_api_key": "api-key-secret-2",
    "btcpay_store_id": "Store1",
    "btcpay_webhook_secret": "hook-secret-3",
}
REDIS_URL = "redis://127.0.0.1:6379/0"  # settings only: nothing connects


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
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "from-env_0123456789")
    monkeypatch.setenv("ADMIN_USER_IDS", " 42, 7 ,")
    monkeypatch.setenv("MAX_PROMPT_CHARS", "120")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.admin_user_ids == frozenset({42, 7})
    assert settings.max_prompt_chars == 120
    assert settings.telegram_webhook_secret.get_secret_value() == "from-env_0123456789"


def test_secrets_are_hidden_in_repr() -> None:
    settings = _settings()
    assert BOT_TOKEN not in repr(settings)
    assert BOT_TOKEN not in str(settings.model_dump())
    assert set(settings.secret_values()) == {BOT_TOKEN, WEBHOOK_SECRET}


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


@pytest.mark.parametrize("secret", ["Q", "Zq7", "x" * 15, "has spaces in it!", "é" * 20])
def test_a_short_or_odd_webhook_secret_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(telegram_webhook_secret=secret)
    line = describe_validation_error(caught.value)
    assert line.startswith("TELEGRAM_WEBHOOK_SECRET must be ")
    assert secret not in line


def test_a_webhook_secret_of_16_to_256_characters_is_taken() -> None:
    for secret in ("a" * 16, "A-z_09" * 42 + "abcd"):
        assert _settings(telegram_webhook_secret=secret).telegram_webhook_secret.get_secret_value()
    with pytest.raises(ValidationError):
        _settings(telegram_webhook_secret="a" * 257)


@pytest.mark.parametrize(("backend", "values"), [("lnbits", LNBITS), ("btcpay", BTCPAY)])
def test_a_real_payment_backend_needs_redis(backend: str, values: dict[str, str]) -> None:
    """Balances in memory would vanish on a restart, with the money already paid."""
    with pytest.raises(MissingSetting) as caught:
        _settings(payments_backend=backend, **values)
    assert caught.value.variable == "REDIS_URL"
    assert f"PAYMENTS_BACKEND={backend}" in str(caught.value)
    assert "lost on a restart" in str(caught.value)
    with pytest.raises(MissingSetting):
        _settings(payments_backend=backend, redis_url=" ", **values)  # blank is unset
    with_redis = _settings(payments_backend=backend, redis_url=REDIS_URL, **values)
    assert with_redis.payments_backend == backend


@pytest.mark.parametrize("backend", ["none", "fake"])
def test_no_money_no_redis_needed(backend: str) -> None:
    assert _settings(payments_backend=backend).redis_url is None


def test_tier_settings_are_read_per_tier_and_checked() -> None:
    settings = make_settings(
        "http://127.0.0.1:9",
        queue_tier_weights="turbo=20, fast=4, relax=1",
        queue_max_wait_s="turbo=30,fast=90,relax=600",
        turbo_user_ids="5,6",
    )
    policy = settings.tier_policy()
    assert policy.weights == {Tier.TURBO: 20, Tier.FAST: 4, Tier.RELAX: 1}
    assert policy.max_wait_s[Tier.RELAX] == 600
    assert settings.turbo_user_ids == {5, 6}
    for bad in (
        {"queue_tier_weights": "turbo=10,fast=5"},
        {"queue_tier_weights": "turbo=10,fast=5,relax=0"},
        {"queue_max_wait_s": "turbo=1,fast=1,relax=-1"},
    ):
        with pytest.raises(ValidationError):
            make_settings("http://127.0.0.1:9", **bad)
