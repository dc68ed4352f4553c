"""GENERATE_PROVIDER / EDIT_PROVIDER: single names, chains and ``auto``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.catalog.configured import catalog_for
from orchestrator.jobs.providers import (
    BUILDERS,
    build_model_providers,
    build_providers,
    provider_names,
)
from orchestrator.settings import MissingSetting, Settings
from providers.chain import ProviderChain
from providers.fal import FalProvider
from providers.placeholder import PlaceholderProvider
from providers.registry import PROVIDERS
from providers.replicate import ReplicateProvider
from state.models import JobKind
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

KEYS = {"replicate_api_token": "r8_x", "fal_key": "id:secret"}


def _settings(**values: Any) -> Settings:
    base = {"telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": WEBHOOK_SECRET}
    return Settings(_env_file=None, **{**base, **values})


@pytest.mark.parametrize(
    ("keys", "generate", "edit"),
    [
        ({}, ["placeholder"], ["placeholder"]),
        ({"replicate_api_token": "r8_x"}, ["replicate"], ["placeholder"]),
        ({"fal_key": "id:secret"}, ["fal"], ["fal"]),
        (KEYS, ["replicate", "fal"], ["fal"]),
        ({"replicate_api_token": ""}, ["placeholder"], ["placeholder"]),
    ],
)
def test_auto_uses_the_providers_whose_keys_are_set(
    keys: dict[str, str], generate: list[str], edit: list[str]
) -> None:
    settings = _settings(**keys)
    assert provider_names(settings, JobKind.GENERATE) == generate
    assert provider_names(settings, JobKind.EDIT) == edit


def test_a_chain_is_built_for_the_default_model_with_its_ids() -> None:
    settings = _settings(generate_provider="replicate, FAL", **KEYS)
    providers = build_providers(settings)
    chain = providers[JobKind.GENERATE]
    assert isinstance(chain, ProviderChain)
    assert [type(p) for p in chain.providers] == [ReplicateProvider, FalProvider]
    assert isinstance(providers[JobKind.EDIT], FalProvider)
    models = build_model_providers(settings, catalog_for(settings))
    # Every offered model has its own provider, configured with that model's ids.
    assert set(models) == {
        "flux-dev",
        "flux-schnell",
        "flux-pro",
        "nano-banana",
        "kontext",
        "esrgan",
    }
    assert models["flux-schnell"]._config.model == "black-forest-labs/flux-schnell"  # type: ignore[attr-defined]
    assert models["kontext"]._config.edit_model == "fal-ai/flux-pro/kontext"  # type: ignore[attr-defined]


def test_a_single_name_is_that_provider() -> None:
    providers = build_providers(_settings(generate_provider="placeholder", **KEYS))
    assert isinstance(providers[JobKind.GENERATE], PlaceholderProvider)


def test_a_hosted_provider_without_its_key_stops_start_up() -> None:
    with pytest.raises(MissingSetting) as caught:
        build_providers(_settings(edit_provider="fal"))
    assert caught.value.variable == "FAL_KEY"
    assert "EDIT_PROVIDER" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("midjourney", "unknown provider"),
        ("replicate,auto", "unknown provider"),
        (",", "unknown provider"),
        ("fal,fal", "twice"),
    ],
)
def test_bad_provider_settings_are_refused(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _settings(generate_provider=value)


def test_model_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="generate_model"):
        _settings(generate_model="not a model")
    assert _settings(generate_model="acme/flux:0123abcd").generate_model == "acme/flux:0123abcd"


def test_provider_keys_are_secrets() -> None:
    settings = _settings(**KEYS)
    assert "r8_x" not in repr(settings)
    assert {"r8_x", "id:secret"} <= set(settings.secret_values())


def test_every_registered_provider_can_be_built() -> None:
    assert set(BUILDERS) == set(PROVIDERS)
