"""The gpu settings: the server's part reads without TELEGRAM_*, the client's is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import tests.fakes.hosts  # noqa: F401  # fal-client's hosts, before provider_setup imports it
from orchestrator.gpu_server_setup import server_config
from orchestrator.gpu_settings import GpuServerSettings
from orchestrator.provider_setup import build_providers
from orchestrator.settings import MissingSetting
from providers.gpu import GpuProvider
from state.models import JobKind
from tests.conftest import make_settings
from tests.providers.gpu.support import TOKEN


def test_server_settings_need_no_telegram_variables(tmp_path: Path) -> None:
    settings = GpuServerSettings(
        _env_file=None,
        gpu_server_token=TOKEN,
        gpu_edit_model="none",
        gpu_lora_dir=str(tmp_path),
        gpu_batch_window_ms=40,
    )
    config = server_config(settings)
    assert config.token == TOKEN
    assert config.generate_model == "black-forest-labs/FLUX.1-schnell"
    assert config.edit_model is None
    assert config.lora_dir == tmp_path
    assert config.batch_window_s == pytest.approx(0.04)
    assert TOKEN not in repr(config)


def test_server_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    with pytest.raises(MissingSetting, match="GPU_LORA_DIR"):
        server_config(
            GpuServerSettings(
                _env_file=None, gpu_server_token=TOKEN, gpu_lora_dir=str(tmp_path / "nope")
            )
        )
    with pytest.raises(MissingSetting, match="GPU_GENERATE_MODEL"):
        server_config(
            GpuServerSettings(
                _env_file=None,
                gpu_server_token=TOKEN,
                gpu_generate_model="none",
                gpu_edit_model="",
            )
        )


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
