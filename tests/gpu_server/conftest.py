"""Session fixtures: the tiny models on disk and one real ``fulmine gpu-server`` process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.gpu_server.support import TinyModels, build_tiny_models, gpu_server_process


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return build_tiny_models(tmp_path_factory.mktemp("gpu-models"))


@pytest.fixture(scope="session")
def gpu_server(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a ``fulmine gpu-server`` serving the tiny models (batch window 150 ms)."""
    with gpu_server_process(tiny_models, tmp_path_factory.mktemp("gpu-server")) as url:
        yield url


@pytest.fixture
async def gpu_http(gpu_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gpu_server, timeout=60) as http:
        yield http
