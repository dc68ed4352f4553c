"""Back-pressure: a full queue answers 503 with Retry-After at once, and the ``gpu``
provider reports that as a transient failure to retry later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from providers.base import ImageRequest, ProviderImage
from providers.errors import ProviderUnavailable
from providers.gpu import GpuConfig, GpuProvider
from providers.retrying import RetryPolicy
from tests.gpu_server.support import (
    TOKEN,
    TinyModels,
    auth,
    in_process_config,
    in_process_server,
)

SLOW = {"prompt": "a lighthouse at dusk", "steps": 30}


@pytest.fixture
async def small_queue(tiny_models: TinyModels) -> AsyncIterator[str]:
    """A server that runs one image at a time and lets one more request wait."""
    config = in_process_config(tiny_models, max_batch=1, queue_size=1, generate_steps=30)
    async with in_process_server(config) as url:
        yield url


async def test_full_queue_answers_503_with_retry_after(small_queue: str) -> None:
    async with httpx.AsyncClient(base_url=small_queue, timeout=120) as http:
        answers = await asyncio.gather(
            *(http.post("/v1/generate", json={**SLOW, "seed": i}, headers=auth()) for i in range(6))
        )
        codes = sorted(answer.status_code for answer in answers)
        assert codes.count(200) >= 1
        assert codes.count(503) >= 1
        assert set(codes) == {200, 503}
        for answer in answers:
            if answer.status_code == 503:
                assert int(answer.headers["retry-after"]) >= 1
                assert "queue is full" in answer.json()["detail"]
        # Nothing was left behind: the queue is empty again and takes new work.
        assert (await http.get("/ready")).json()["queue_depth"] == 0
        again = await http.post("/v1/generate", json={**SLOW, "seed": 9}, headers=auth())
        assert again.status_code == 200


async def test_provider_treats_503_as_transient(small_queue: str) -> None:
    provider = GpuProvider(
        GpuConfig(backend_urls=(small_queue,), token=TOKEN, retry=RetryPolicy(attempts=1))
    )
    await provider.start()
    try:
        outcomes = await asyncio.gather(
            *(provider.generate(ImageRequest(prompt="a red fox", seed=i)) for i in range(6)),
            return_exceptions=True,
        )
    finally:
        await provider.stop()
    made = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, ProviderUnavailable)]
    assert len(made) + len(refused) == len(outcomes)
    assert made
    assert all(isinstance(image, ProviderImage) for images in made for image in images)
    assert refused
    for error in refused:
        assert error.transient
        assert error.status_code == 503
        assert error.retry_after_s is not None
        assert error.retry_after_s >= 1
