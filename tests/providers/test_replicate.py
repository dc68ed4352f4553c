"""ReplicateProvider through the real ``replicate`` client against the fake Replicate."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from providers.base import ImageRequest
from providers.errors import ContentRefused, ProviderUnavailable, UnusableOutput
from providers.replicate import ReplicateConfig, ReplicateProvider
from providers.retrying import RetryPolicy
from tests.fakes.fixtures import REPLICATE_TOKEN
from tests.fakes.images import png
from tests.fakes.replicate import FakeReplicate, Fault

FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=2.0)


def _config(fake: FakeReplicate, **overrides: Any) -> ReplicateConfig:
    values: dict[str, Any] = {
        "api_token": REPLICATE_TOKEN,
        "base_url": fake.base_url,
        "poll_interval_s": 0.01,
        "request_timeout_s": 2.0,
        "retry": FAST,
    }
    return ReplicateConfig(**(values | overrides))


@pytest.fixture
async def provider(fake_replicate: FakeReplicate) -> AsyncIterator[ReplicateProvider]:
    provider = ReplicateProvider(_config(fake_replicate))
    await provider.start()
    yield provider
    await provider.stop()


async def test_prediction_lifecycle_with_the_exact_inputs(fake_replicate: FakeReplicate) -> None:
    fake_replicate.progress = ["processing", "processing", "succeeded"]
    fake_replicate.outputs = lambda prediction, index: png((64, 48), ("red", "blue")[index])
    provider = ReplicateProvider(
        _config(fake_replicate, lora="https://example.com/style.safetensors", lora_scale=0.8)
    )
    await provider.start()
    request = ImageRequest(prompt="a red fox", num_images=2, seed=42, aspect_ratio="16:9")
    images = await provider.generate(request)
    await provider.stop()

    assert [image.data for image in images] == [png((64, 48), "red"), png((64, 48), "blue")]
    assert {image.content_type for image in images} == {"image/png"}
    (create,) = fake_replicate.log.to(
        "POST", "/v1/models/black-forest-labs/flux-dev-lora/predictions"
    )
    assert create.headers["authorization"] == f"Bearer {REPLICATE_TOKEN}"
    assert create.json() == {
        "input": {
            "prompt": "a red fox",
            "aspect_ratio": "16:9",
            "num_outputs": 2,
            "output_format": "png",
            "seed": 42,
            "lora_weights": "https://example.com/style.safetensors",
            "lora_scale": 0.8,
        }
    }
    (prediction,) = fake_replicate.predictions.values()
    assert prediction.status == "succeeded"
    assert prediction.polls == 3  # starting → processing → processing → succeeded
    assert len(fake_replicate.log.to("GET", "/files/" + prediction.id + "/0")) == 1
    # Output downloads carry no Replicate credentials.
    downloads = [r for r in fake_replicate.log.requests if r.path.startswith("/files/")]
    assert all("authorization" not in r.headers for r in downloads)


async def test_a_seed_is_always_sent_and_fresh_each_time(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    await provider.generate(ImageRequest(prompt="x"))
    await provider.generate(ImageRequest(prompt="x"))
    seeds = [create["input"]["seed"] for create in fake_replicate.creates()]
    assert all(isinstance(seed, int) for seed in seeds)
    assert seeds[0] != seeds[1]


async def test_a_pinned_version_is_created_by_version(fake_replicate: FakeReplicate) -> None:
    provider = ReplicateProvider(_config(fake_replicate, model="acme/flux:0123abcd4567"))
    await provider.start()
    await provider.generate(ImageRequest(prompt="x"))
    await provider.stop()
    (create,) = fake_replicate.log.to("POST", "/v1/predictions")
    assert create.json()["version"] == "0123abcd4567"


async def test_edit_sends_the_image_as_a_data_uri(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    source = png((40, 30), "purple")
    await provider.edit(ImageRequest(prompt="night", input_image=source))
    (create,) = fake_replicate.creates()
    header, _, payload = create["input"]["image"].partition(",")
    assert header == "data:image/png;base64"
    assert base64.b64decode(payload) == source


async def test_500_twice_then_success_is_one_result_after_three_creates(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_faults = [Fault(500), Fault(502)]
    images = await provider.generate(ImageRequest(prompt="x"))
    assert len(images) == 1
    assert len(fake_replicate.creates()) == 3
    assert len(fake_replicate.predictions) == 1


async def test_500_on_every_try_gives_up_after_three_creates(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_faults = [Fault(500)] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    assert caught.value.status_code == 500
    assert not caught.value.may_still_run
    assert len(fake_replicate.creates()) == 3
    assert fake_replicate.predictions == {}


async def test_429_waits_as_long_as_retry_after_says(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    throttled = {"detail": "Request was throttled. Expected available in 1 second.", "status": 429}
    fake_replicate.create_faults = [Fault(429, throttled, {"Retry-After": "1"})]
    started = time.monotonic()
    await provider.generate(ImageRequest(prompt="x"))
    assert len(fake_replicate.creates()) == 2
    assert time.monotonic() - started >= 0.95


async def test_429_asking_for_longer_than_we_wait_is_not_retried(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_faults = [Fault(429, None, {"Retry-After": "3600"})]
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    assert caught.value.retry_after_s == pytest.approx(3600)
    assert len(fake_replicate.creates()) == 1


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        ("NSFW content detected. Try running it again, or try a different prompt.", True),
        ("CUDA out of memory", False),
    ],
)
async def test_failed_prediction_is_a_refusal_or_a_failure_and_never_retried(
    provider: ReplicateProvider, fake_replicate: FakeReplicate, error: str, refused: bool
) -> None:
    fake_replicate.final_error = error
    expected = ContentRefused if refused else ProviderUnavailable
    with pytest.raises(expected) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    assert error in caught.value.detail
    assert len(fake_replicate.creates()) == 1
    assert fake_replicate.cancels() == []


async def test_invalid_input_is_refused_without_retry(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    with pytest.raises(ContentRefused) as caught:
        await provider.generate(ImageRequest(prompt="x", aspect_ratio="7:3"))
    assert caught.value.reason == "invalid_input"
    assert "aspect_ratio" in caught.value.detail
    assert len(fake_replicate.creates()) == 1


async def test_a_prediction_cancelled_elsewhere_is_unavailable(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.progress = ["processing", "canceled"]
    with pytest.raises(ProviderUnavailable, match="canceled"):
        await provider.generate(ImageRequest(prompt="x"))


async def test_malformed_poll_json_is_retried(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.poll_faults = [Fault(200, "{not json"), Fault(200, '["a", "list"]')]
    images = await provider.generate(ImageRequest(prompt="x"))
    assert len(images) == 1
    assert len(fake_replicate.creates()) == 1


async def test_a_lost_create_answer_is_recovered_not_repeated(
    fake_replicate: FakeReplicate,
) -> None:
    fake_replicate.create_delay_s = 5.0
    provider = ReplicateProvider(_config(fake_replicate, request_timeout_s=0.3))
    await provider.start()
    images = await provider.generate(ImageRequest(prompt="x"))
    await provider.stop()
    assert len(images) == 1
    assert len(fake_replicate.creates()) == 1
    assert len(fake_replicate.log.to("GET", "/v1/predictions")) == 1  # the listing
    assert fake_replicate.cancels() == []


async def test_giving_up_during_a_create_cancels_what_it_made(
    fake_replicate: FakeReplicate,
) -> None:
    fake_replicate.create_delay_s = 5.0
    provider = ReplicateProvider(_config(fake_replicate, request_timeout_s=3.0))
    await provider.start()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await provider.generate(ImageRequest(prompt="x"))
    await provider.stop()
    (prediction,) = fake_replicate.predictions.values()
    assert fake_replicate.cancels() == [prediction.id]
    assert len(fake_replicate.creates()) == 1


async def test_a_create_answer_that_is_not_json_is_recovered_not_repeated(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_garbage = True
    images = await provider.generate(ImageRequest(prompt="x"))
    assert len(images) == 1
    assert len(fake_replicate.creates()) == 1
    (prediction,) = fake_replicate.predictions.values()
    assert prediction.status == "succeeded"


async def test_a_hang_is_cancelled_when_the_caller_gives_up(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.hang = True
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await provider.generate(ImageRequest(prompt="x"))
    (prediction,) = fake_replicate.predictions.values()
    assert fake_replicate.cancels() == [prediction.id]
    assert prediction.status == "canceled"
    assert len(fake_replicate.creates()) == 1


async def test_losing_track_cancels_and_allows_a_fallback(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.poll_faults = [Fault(500)] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    assert not caught.value.may_still_run
    assert len(fake_replicate.cancels()) == 1


async def test_losing_track_without_a_cancel_forbids_a_fallback(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.poll_faults = [Fault(500)] * 3
    fake_replicate.cancel_faults = [Fault(500)]
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    assert caught.value.may_still_run


async def test_an_output_that_is_not_an_image_is_refused(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.outputs = lambda prediction, index: b"<html>Access denied</html>"
    fake_replicate.output_content_type = "text/html"
    with pytest.raises(UnusableOutput, match="not a JPEG, PNG or WebP image"):
        await provider.generate(ImageRequest(prompt="x"))
    assert len([r for r in fake_replicate.log.requests if r.path.startswith("/files/")]) == 1


async def test_a_30_mb_output_is_refused(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    huge = png() + bytes(30 * 1024 * 1024)
    fake_replicate.outputs = lambda prediction, index: huge
    with pytest.raises(UnusableOutput, match="over"):
        await provider.generate(ImageRequest(prompt="x"))
    assert len([r for r in fake_replicate.log.requests if r.path.startswith("/files/")]) == 1


async def test_a_flaky_output_download_is_retried(
    provider: ReplicateProvider, fake_replicate: FakeReplicate
) -> None:
    answers = iter([503, 200])
    original = fake_replicate.outputs

    def flaky(prediction: Any, index: int) -> bytes:
        fake_replicate.output_status = next(answers, 200)
        return original(prediction, index)

    fake_replicate.outputs = flaky
    images = await provider.generate(ImageRequest(prompt="x"))
    assert images[0].data == png()
    assert len([r for r in fake_replicate.log.requests if r.path.startswith("/files/")]) == 2


async def test_a_wrong_token_is_unavailable_at_once(fake_replicate: FakeReplicate) -> None:
    provider = ReplicateProvider(_config(fake_replicate, api_token="r8_wrong"))
    await provider.start()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.generate(ImageRequest(prompt="x"))
    await provider.stop()
    assert (caught.value.status_code, caught.value.transient) == (401, False)
    assert len(fake_replicate.creates()) == 1


async def test_an_unreachable_service_is_tried_three_times() -> None:
    provider = ReplicateProvider(
        ReplicateConfig(api_token="r8_x", base_url="http://127.0.0.1:9", retry=FAST)
    )
    await provider.start()
    with pytest.raises(ProviderUnavailable, match="ConnectError") as caught:
        await provider.generate(ImageRequest(prompt="x"))
    await provider.stop()
    assert caught.value.transient
    assert not caught.value.may_still_run


async def test_start_and_stop_are_idempotent(fake_replicate: FakeReplicate) -> None:
    provider = ReplicateProvider(_config(fake_replicate))
    await provider.stop()
    await provider.start()
    await provider.start()
    assert len(await provider.generate(ImageRequest(prompt="x"))) == 1
    await provider.stop()
    await provider.stop()
