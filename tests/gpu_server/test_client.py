"""The ``gpu`` provider against real GPU servers: results, failover, least-loaded choice,
and the mapping of the server's answers to ``providers.errors``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from fulmine.errors import InvalidInput
from gpu_server.schemas import ServerLoad
from providers.base import ImageRequest
from providers.errors import ProviderUnavailable
from providers.gpu import GpuConfig, GpuProvider, order_by_load
from providers.images import inspect_image
from providers.retrying import RetryPolicy
from tests.conftest import png_bytes
from tests.gpu_server.support import (
    TOKEN,
    TinyModels,
    auth,
    in_process_config,
    in_process_server,
    metric,
)
from tests.redis_server import free_port

ONCE = RetryPolicy(attempts=1)
Factory = Callable[..., Awaitable[GpuProvider]]


@pytest.fixture
async def provider_for() -> AsyncIterator[Factory]:
    started: list[GpuProvider] = []

    async def make(*urls: str, **changes: Any) -> GpuProvider:
        config = replace(GpuConfig(backend_urls=urls, token=TOKEN, retry=ONCE), **changes)
        provider = GpuProvider(config)
        await provider.start()
        started.append(provider)
        return provider

    yield make
    for provider in started:
        await provider.stop()


async def _generate_count(url: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    return metric(text, "gpu_server_requests_total", endpoint="generate", status="200")


def _load(ready: bool, depth: int = 0, running: int = 0) -> ServerLoad:
    return ServerLoad(ready=ready, queue_depth=depth, running=running, models=["generate"])


def test_order_by_load_puts_the_least_loaded_ready_server_first() -> None:
    urls = ["http://a", "http://b", "http://c", "http://d"]
    loads = [_load(True, 3), None, _load(True, 0, 1), _load(False)]
    assert order_by_load(urls, loads) == ["http://c", "http://a", "http://b", "http://d"]
    assert order_by_load(urls[:2], [_load(True), _load(True)]) == ["http://a", "http://b"]


async def test_generate_and_edit_through_the_provider(
    gpu_server: str, provider_for: Factory
) -> None:
    provider = await provider_for(gpu_server, output_format="webp")
    (made,) = await provider.generate(ImageRequest(prompt="a red fox", aspect_ratio="16:9"))
    info = inspect_image(made.data)
    assert (made.content_type, info.width > info.height) == ("image/webp", True)

    edited = await provider.edit(
        ImageRequest(prompt="make it night", input_image=png_bytes((30, 60)), num_images=2)
    )
    assert len(edited) == 2
    sizes = {inspect_image(image.data).width < inspect_image(image.data).height for image in edited}
    assert sizes == {True}  # portrait in, portrait out


async def test_same_seed_same_image_through_the_provider(
    gpu_server: str, provider_for: Factory
) -> None:
    provider = await provider_for(gpu_server)
    request = ImageRequest(prompt="a boat", seed=42)
    (first,) = await provider.generate(request)
    (second,) = await provider.generate(request)
    assert first.data == second.data


async def test_failover_past_a_down_server(gpu_server: str, provider_for: Factory) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    before = await _generate_count(gpu_server)
    provider = await provider_for(down, gpu_server)
    assert await provider.generate(ImageRequest(prompt="a cat"))
    assert await _generate_count(gpu_server) == before + 1

    alone = await provider_for(down)
    with pytest.raises(ProviderUnavailable) as caught:
        await alone.generate(ImageRequest(prompt="a cat"))
    assert caught.value.transient
    assert "ConnectError" in caught.value.detail


async def test_failover_past_a_server_that_refuses_the_token(
    gpu_server: str,
    tiny_models: TinyModels,
    provider_for: Factory,
) -> None:
    config = in_process_config(tiny_models, server_token=SecretStr("another-token-0123456789"))
    async with in_process_server(config) as other:
        alone = await provider_for(other)
        with pytest.raises(ProviderUnavailable) as caught:
            await alone.generate(ImageRequest(prompt="a cat"))
        assert (caught.value.status_code, caught.value.transient) == (401, False)

        # Both ready and idle: the configured order holds, so `other` is asked first.
        before = await _generate_count(gpu_server)
        both = await provider_for(other, gpu_server)
        assert await both.generate(ImageRequest(prompt="a cat"))
        assert await _generate_count(gpu_server) == before + 1


async def test_the_least_loaded_server_gets_the_request(
    gpu_server: str,
    tiny_models: TinyModels,
    provider_for: Factory,
) -> None:
    config = in_process_config(tiny_models, max_batch=1)
    async with in_process_server(config) as busy, httpx.AsyncClient(timeout=120) as http:
        # Several long requests, one at a time (max_batch=1): the server stays loaded for
        # their whole run, however fast the machine, not just for the first one's.
        slow = [
            asyncio.create_task(
                http.post(
                    f"{busy}/v1/generate",
                    json={"prompt": f"a slow one {n}", "steps": 100},
                    headers=auth(),
                )
            )
            for n in range(4)
        ]
        async with asyncio.timeout(30):  # until one runs and the others wait behind it
            while True:
                load = (await http.get(f"{busy}/ready")).json()
                if load["running"] and load["queue_depth"] >= 2:
                    break
                await asyncio.sleep(0.01)
        before = await _generate_count(gpu_server)
        provider = await provider_for(busy, gpu_server)
        assert await provider.generate(ImageRequest(prompt="a quick one"))
        assert await _generate_count(gpu_server) == before + 1
        assert [(await task).status_code for task in slow] == [200] * 4
        assert await _generate_count(busy) == 4


async def test_server_answers_map_to_provider_errors(
    gpu_server: str, provider_for: Factory
) -> None:
    provider = await provider_for(gpu_server)
    with pytest.raises(InvalidInput):
        await provider.generate(ImageRequest(prompt=""))  # the server's 422
    with pytest.raises(InvalidInput):
        await provider.edit(ImageRequest(prompt="blue", input_image=b"not an image"))
    with pytest.raises(InvalidInput):
        await provider.edit(ImageRequest(prompt="blue"))

    unknown = await provider_for(gpu_server, lora="no-such-lora")
    with pytest.raises(ProviderUnavailable) as caught:
        await unknown.generate(ImageRequest(prompt="a cat"))
    assert (caught.value.status_code, caught.value.transient) == (404, False)


async def test_lora_from_settings_changes_the_image(gpu_server: str, provider_for: Factory) -> None:
    plain = await provider_for(gpu_server)
    inked = await provider_for(gpu_server, lora="ink", lora_scale=1.0)
    request = ImageRequest(prompt="a red fox", seed=3)
    (without,) = await plain.generate(request)
    (with_lora,) = await inked.generate(request)
    assert Image.open(io.BytesIO(without.data)).size == (32, 32)
    assert without.data != with_lora.data
