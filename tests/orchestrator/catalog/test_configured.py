"""The offered catalog: models whose providers are configured, today's settings on top."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.catalog import Catalog
from orchestrator.catalog.configured import catalog_for
from orchestrator.settings import Settings
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

KEYS = {"replicate_api_token": "r8_x", "fal_key": "id:secret"}
GPU = {"gpu_backend_urls": "http://gpu-a:8100", "gpu_server_token": "t" * 16}


def _settings(**values: Any) -> Settings:
    base = {"telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": WEBHOOK_SECRET}
    return Settings(_env_file=None, **{**base, **values})


def _offered(catalog: Catalog, kind: str) -> list[str]:
    return [entry.name for entry in catalog.visible() if entry.kind == kind]


def test_offline_only_the_placeholders_are_offered() -> None:
    catalog = catalog_for(_settings())
    assert [entry.name for entry in catalog.visible()] == [
        "placeholder",
        "placeholder-edit",
        "placeholder-upscale",
    ]
    assert all(entry.default for entry in catalog.visible())


def test_with_both_keys_the_hosted_models_are_offered_and_placeholders_hidden() -> None:
    catalog = catalog_for(_settings(**KEYS))
    assert _offered(catalog, "generate") == ["flux-dev", "flux-schnell", "flux-pro"]
    assert _offered(catalog, "edit") == ["nano-banana", "kontext"]
    assert _offered(catalog, "upscale") == ["esrgan"]
    flux_dev = catalog.default_for("generate")
    assert flux_dev is not None
    assert flux_dev.provider == ("replicate", "fal")
    assert [e.name for e in catalog.visible() if e.default] == ["flux-dev", "nano-banana", "esrgan"]


def test_a_chain_keeps_its_configured_members() -> None:
    catalog = catalog_for(_settings(fal_key="id:secret"))
    flux_dev = catalog.get("flux-dev")
    assert flux_dev is not None
    assert flux_dev.enabled
    assert flux_dev.provider == ("fal",)
    assert flux_dev.model == {"fal": "fal-ai/flux-lora"}
    assert _offered(catalog, "generate") == ["flux-dev"]  # Replicate-only models hidden
    only_replicate = catalog_for(_settings(replicate_api_token="r8_x"))
    assert _offered(only_replicate, "edit") == ["placeholder-edit"]


def test_gpu_models_need_the_gpu_servers() -> None:
    assert "gpu-schnell" not in _offered(catalog_for(_settings(**KEYS)), "generate")
    catalog = catalog_for(_settings(**GPU))
    assert _offered(catalog, "generate") == ["gpu-schnell"]
    assert _offered(catalog, "edit") == ["gpu-kontext"]


def test_model_settings_override_the_default_models() -> None:
    catalog = catalog_for(
        _settings(
            **KEYS,
            generate_model="acme/flux:0123abcd",
            fal_generate_model="fal-ai/other",
            edit_model="fal-ai/other/edit",
            generate_lora="huggingface.co/acme/style",
            generate_lora_scale=0.5,
        )
    )
    flux_dev = catalog.get("flux-dev")
    assert flux_dev is not None
    assert flux_dev.model == {"replicate": "acme/flux", "fal": "fal-ai/other"}
    assert flux_dev.version == "0123abcd"
    assert flux_dev.default_lora == "default"
    assert flux_dev.loras["default"].weights == "huggingface.co/acme/style"
    assert flux_dev.loras["default"].scale == 0.5
    assert catalog.get("nano-banana").model == {"fal": "fal-ai/other/edit"}  # type: ignore[union-attr]


def test_a_provider_setting_forces_the_default_models_chain() -> None:
    catalog = catalog_for(_settings(generate_provider="placeholder", **KEYS))
    flux_dev = catalog.default_for("generate")
    assert flux_dev is not None
    assert flux_dev.name == "flux-dev"
    assert flux_dev.provider == ("placeholder",)
    # Named outright, a provider without its key is kept: building it names the key.
    catalog = catalog_for(_settings(edit_provider="fal"))
    nano = catalog.default_for("edit")
    assert nano is not None
    assert nano.name == "nano-banana"
    assert nano.provider == ("fal",)


@pytest.mark.parametrize(
    ("setting", "kind"), [("price_generate_sats", "generate"), ("price_edit_sats", "edit")]
)
def test_a_price_setting_prices_every_model_of_its_kind(setting: str, kind: str) -> None:
    catalog = catalog_for(_settings(**KEYS, **{setting: 7}))
    assert {e.price_sats for e in catalog.visible() if e.kind == kind} == {7}
    assert catalog.get("esrgan").price_sats == 20  # type: ignore[union-attr]
    unset = catalog_for(_settings(**KEYS))
    assert unset.get("flux-schnell").price_sats == 30  # type: ignore[union-attr]
