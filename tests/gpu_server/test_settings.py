"""The gpu settings: the server's part reads without TELEGRAM_*, the client's is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import tests.fakes.hosts  # noqa: F401  # fal-client's hosts, before provider_setup imports it
from gpu_server.settings import ConfigError, GpuServerSettings
from orchestrator.jobs.providers import build_providers
from orchestrator.settings import MissingSetting
from providers.gpu import GpuProvider
from state.models import JobKind
from tests.conftest import make_settings
from tests.gpu_server.support import TOKEN


def test_server_settings_need_no_telegram_variables(tmp_path: Path) -> None:
    config = GpuServerSettings(
        _env_file=None,
        server_token=TOKEN,
        edit_model="none",
        lora_dir=str(tmp_path),
        batch_window_ms=40,
    )
    config.check()
    assert config.token == TOKEN
    assert config.generate_model == "black-forest-labs/FLUX.1-schnell"
    assert config.edit_model is None
    assert config.lora_dir == tmp_path
    assert config.batch_window_s == pytest.approx(0.04)
    assert TOKEN not in repr(config)


def test_server_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GPU_LORA_DIR"):
        GpuServerSettings(
            _env_file=None, server_token=TOKEN, lora_dir=str(tmp_path / "nope")
        ).check()
    with pytest.raises(ConfigError, match="GPU_GENERATE_MODEL"):
        GpuServerSettings(
            _env_file=None, server_token=TOKEN, generate_model="none", edit_model=""
        ).check()
    with pytest.raises(ConfigError, match="GPU_SERVER_TOKEN"):
        GpuServerSettings(_env_file=None).check()


def test_server_settings_read_the_gpu_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPU_SERVER_TOKEN", TOKEN)
    monkeypatch.setenv("GPU_SERVER_PORT", "9100")
    monkeypatch.setenv("GPU_EDIT_STEPS", "12")
    monkeypatch.setenv("GPU_GENERATE_MODEL", "none")
    config = GpuServerSettings(_env_file=None)
    assert (config.token, config.server_port, config.edit_steps) == (TOKEN, 9100, 12)
    assert config.generate_model is None


def test_backend_urls_are_a_checked_list() -> None:
    settings = make_settings(
        "http://emulator",
        generate_provider="gpu",
        gpu_backend_urls=" http://gpu-a:8100/ ,https://gpu-b",
        gpu_server_token=TOKEN,
    )
    assert settings.gpu_backend_urls == ("http://gpu-a:8100", "https://gpu-b")
    providers = build_providers(settings)
    assert isinstance(providers[JobKind.GENERATE], GpuProvider)

    with pytest.raises(ValidationError, match="gpu_backend_urls"):
        make_settings("http://emulator", gpu_backend_urls="gpu-a:8100")
    with pytest.raises(ValidationError, match="gpu_lora"):
        make_settings("http://emulator", gpu_lora="../secrets")


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"gpu_server_token": TOKEN}, "GPU_BACKEND_URLS"),
        ({"gpu_backend_urls": "http://gpu-a:8100"}, "GPU_SERVER_TOKEN"),
    ],
)
def test_gpu_provider_names_what_is_missing(values: dict[str, str], variable: str) -> None:
    settings = make_settings("http://emulator", edit_provider="gpu", **values)
    with pytest.raises(MissingSetting) as caught:
        build_providers(settings)
    assert caught.value.variable == variable
    assert "EDIT_PROVIDER" in caught.value.reason
