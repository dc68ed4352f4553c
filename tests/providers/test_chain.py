"""The fallback chain, with real providers against the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from providers.base import ImageRequest
from providers.chain import ProviderChain
from providers.errors import ContentRefused, ProviderUnavailable
from providers.fal import FalConfig, FalProvider
from providers.replicate import ReplicateConfig, ReplicateProvider
from providers.retrying import RetryPolicy
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import FAL_KEY, REPLICATE_TOKEN
from tests.fakes.images import png
from tests.fakes.replicate import FakeReplicate, Fault

FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=2.0)


@pytest.fixture
async def chain(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> AsyncIterator[ProviderChain]:
    replicate = ReplicateProvider(
        ReplicateConfig(
            api_token=REPLICATE_TOKEN,
            base_url=fake_replicate.base_url,
            poll_interval_s=0.01,
            retry=FAST,
        )
    )
    fal = FalProvider(FalConfig(key=FAL_KEY, poll_interval_s=0.01, retry=FAST))
    chain = ProviderChain([replicate, fal])
    await chain.start()
    yield chain
    await chain.stop()


async def test_the_first_provider_answers_when_it_can(
    chain: ProviderChain, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    assert chain.name == "replicate,fal"
    await chain.generate(ImageRequest(prompt="x"))
    assert len(fake_replicate.creates()) == 1
    assert fake_fal.submits() == []


async def test_a_failing_first_provider_falls_back_to_the_next(
    chain: ProviderChain, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.create_faults = [Fault(503)] * 3
    fake_fal.outputs = lambda request, index: png((20, 20), "yellow")
    (image,) = await chain.generate(ImageRequest(prompt="a fox", seed=5))
    assert image.data == png((20, 20), "yellow")
    assert len(fake_replicate.creates()) == 3
    (submit,) = fake_fal.submits()
    assert (submit["prompt"], submit["seed"]) == ("a fox", 5)


async def test_a_refusal_is_final(
    chain: ProviderChain, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.final_error = "NSFW content detected"
    with pytest.raises(ContentRefused):
        await chain.generate(ImageRequest(prompt="x"))
    assert fake_fal.submits() == []


async def test_no_fallback_while_the_first_may_still_be_running(
    chain: ProviderChain, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.poll_faults = [Fault(500)] * 3
    fake_replicate.cancel_faults = [Fault(500)]
    with pytest.raises(ProviderUnavailable) as caught:
        await chain.generate(ImageRequest(prompt="x"))
    assert caught.value.provider == "replicate"
    assert fake_fal.submits() == []


async def test_when_every_provider_is_down_the_last_error_is_raised(
    chain: ProviderChain, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.create_faults = [Fault(500)] * 3
    fake_fal.submit_faults = [Fault(500)] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await chain.generate(ImageRequest(prompt="x"))
    assert caught.value.provider == "fal"
    assert len(fake_fal.submits()) == 3
