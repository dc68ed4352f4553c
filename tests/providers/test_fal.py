"""FalProvider through the real ``fal-client`` against the fake fal queue, over TLS."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from typing import Any

import certifi
import httpx
import pytest

from providers.base import ImageRequest
from providers.errors import ContentRefused, ProviderUnavailable, UnusableOutput
from providers.fal import FalConfig, FalProvider, image_size
from providers.retrying import RetryPolicy
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import FAL_KEY
from tests.fakes.hosts import FAL_HOST
from tests.fakes.images import png
from tests.fakes.replicate import Fault
from tests.fakes.serving import TlsFiles

FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=2.0)


def _config(**overrides: Any) -> FalConfig:
    values: dict[str, Any] = {
        "key": FAL_KEY,
        "poll_interval_s": 0.01,
        "request_timeout_s": 2.0,
        "retry": FAST,
    }
    return FalConfig(**(values | overrides))


@pytest.fixture
async def provider(fake_fal: FakeFal) -> AsyncIterator[FalProvider]:
    provider = FalProvider(_config())
    await provider.start()
    yield provider
    await provider.stop()


def _statuses(fake: FakeFal) -> list[str]:
    (queued,) = fake.queued.values()
    return queued.statuses_seen


async def test_edit_goes_through_the_queue_with_the_exact_arguments(
    provider: FalProvider, fake_fal: FakeFal
) -> None:
    fake_fal.queue_positions = [2, 1, 0]
    fake_fal.in_progress_polls = 2
    fake_fal.outputs = lambda request, index: png((50, 50), "orange")
    source = png((30, 20), "navy")
    images = await provider.edit(ImageRequest(prompt="make it night", input_image=source))

    assert [image.data for image in images] == [png((50, 50), "orange")]
    assert fake_fal.base_url == f"https://{FAL_HOST}"  # TLS, on fal-client's own host setting
    (submit,) = fake_fal.log.to("POST")
    assert submit.path == "/fal-ai/nano-banana/edit"
    assert submit.headers["authorization"] == f"Key {FAL_KEY}"
    arguments = submit.json()
    (data_uri,) = arguments.pop("image_urls")
    assert arguments == {"prompt": "make it night", "num_images": 1, "output_format": "png"}
    header, _, payload = data_uri.partition(",")
    assert (header, base64.b64decode(payload)) == ("data:image/png;base64", source)
    # Queue positions count down, then it runs, then it is done (the last one is read again
    # by fal-client before it fetches the result).
    assert _statuses(fake_fal) == [
        "IN_QUEUE",
        "IN_QUEUE",
        "IN_QUEUE",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "COMPLETED",
        "COMPLETED",
    ]
    assert len(fake_fal.log.to("GET", "/requests/" + next(iter(fake_fal.queued)))) == 1


async def test_generation_with_flux_lora(fake_fal: FakeFal) -> None:
    provider = FalProvider(_config(lora="https://example.com/style.safetensors", lora_scale=0.7))
    await provider.start()
    images = await provider.generate(
        ImageRequest(prompt="a fox", num_images=2, seed=7, aspect_ratio="16:9")
    )
    await provider.stop()
    assert len(images) == 2
    (submit,) = fake_fal.submits()
    assert fake_fal.log.to("POST")[0].path == "/fal-ai/flux-lora"
    assert submit == {
        "prompt": "a fox",
        "num_images": 2,
        "output_format": "png",
        "image_size": {"width": 1360, "height": 768},
        "seed": 7,
        "loras": [{"path": "https://example.com/style.safetensors", "scale": 0.7}],
    }


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:21", "4:5"])
def test_image_size_is_about_a_megapixel_in_multiples_of_16(ratio: str) -> None:
    size = image_size(ratio)
    width, height = (int(part) for part in ratio.split(":"))
    assert size["width"] % 16 == size["height"] % 16 == 0
    assert 0.9e6 < size["width"] * size["height"] < 1.1e6
    assert size["width"] / size["height"] == pytest.approx(width / height, rel=0.03)


async def test_500_twice_then_success_is_one_result_after_three_submits(
    provider: FalProvider, fake_fal: FakeFal
) -> None:
    fake_fal.submit_faults = [Fault(500, {"detail": "Internal error"})] * 2
    images = await provider.edit(ImageRequest(prompt="x", input_image=png()))
    assert len(images) == 1
    assert len(fake_fal.submits()) == 3
    assert len(fake_fal.queued) == 1


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        (
            {"loc": ["body", "prompt"], "msg": "flagged", "type": "content_policy_violation"},
            "policy",
        ),
        (
            {"loc": ["body", "num_images"], "msg": "too many", "type": "value_error"},
            "invalid_input",
        ),
    ],
)
async def test_the_apps_refusal_is_not_retried(
    provider: FalProvider, fake_fal: FakeFal, detail: dict[str, Any], reason: str
) -> None:
    fake_fal.app_error = detail
    with pytest.raises(ContentRefused) as caught:
        await provider.edit(ImageRequest(prompt="x", input_image=png()))
    assert caught.value.reason == reason
    assert len(fake_fal.submits()) == 1
    assert fake_fal.cancels() == []


async def test_malformed_status_json_is_retried(provider: FalProvider, fake_fal: FakeFal) -> None:
    fake_fal.status_faults = [Fault(200, "{oops"), Fault(200, '{"status": "NONSENSE"}')]
    images = await provider.edit(ImageRequest(prompt="x", input_image=png()))
    assert len(images) == 1
    assert len(fake_fal.submits()) == 1


async def test_a_hang_is_cancelled_when_the_caller_gives_up(
    provider: FalProvider, fake_fal: FakeFal
) -> None:
    fake_fal.hang = True
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await provider.edit(ImageRequest(prompt="x", input_image=png()))
    (queued,) = fake_fal.queued.values()
    assert fake_fal.cancels() == [queued.id]
    assert queued.cancelled


async def test_a_submit_abandoned_on_its_way_is_cancelled_once_it_answers(
    provider: FalProvider, fake_fal: FakeFal
) -> None:
    fake_fal.submit_delay_s = 0.8  # queued at once, answered late
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):  # the caller gives up before the answer
            await provider.edit(ImageRequest(prompt="x", input_image=png()))
    (queued,) = fake_fal.queued.values()
    assert fake_fal.cancels() == [queued.id]
    assert queued.cancelled


async def test_a_lost_submit_answer_is_not_repeated(fake_fal: FakeFal) -> None:
    fake_fal.submit_delay_s = 5.0
    provider = FalProvider(_config(request_timeout_s=0.3))
    await provider.start()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.edit(ImageRequest(prompt="x", input_image=png()))
    await provider.stop()
    assert caught.value.may_still_run  # so no other provider is tried
    assert len(fake_fal.submits()) == 1
    assert fake_fal.log.to("POST")[0].headers["x-fal-request-timeout"]


async def test_an_output_that_is_not_an_image_is_refused(
    provider: FalProvider, fake_fal: FakeFal
) -> None:
    fake_fal.outputs = lambda request, index: b"plain text"
    fake_fal.output_content_type = "text/plain"
    with pytest.raises(UnusableOutput):
        await provider.edit(ImageRequest(prompt="x", input_image=png()))


async def test_a_wrong_key_is_unavailable_at_once(fake_fal: FakeFal) -> None:
    provider = FalProvider(_config(key="someone:else"))
    await provider.start()
    with pytest.raises(ProviderUnavailable) as caught:
        await provider.edit(ImageRequest(prompt="x", input_image=png()))
    await provider.stop()
    assert (caught.value.status_code, caught.value.transient) == (401, False)
    assert len(fake_fal.submits()) == 1


async def test_the_fake_is_only_trusted_through_the_test_ca(
    fake_fal: FakeFal, tls_files: TlsFiles
) -> None:
    url = f"{fake_fal.base_url}/fal-ai/nano-banana/requests/x/status"
    public_cas = ssl.create_default_context(cafile=certifi.where())
    async with httpx.AsyncClient(verify=public_cas) as default_trust:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await default_trust.get(url)
    test_ca = ssl.create_default_context(cafile=str(tls_files.ca_file))
    async with httpx.AsyncClient(verify=test_ca) as trusting:
        assert (await trusting.get(url)).status_code == 401


async def test_upscale_sends_the_image_and_reads_the_one_it_gets_back(
    fake_fal: FakeFal,
) -> None:
    provider = FalProvider(_config(upscale_model="fal-ai/esrgan", params={"scale": 2}))
    await provider.start()
    try:
        fake_fal.outputs = lambda request, index: png((60, 40), "lime")
        source = png((30, 20), "navy")
        images = await provider.upscale(ImageRequest(prompt="", input_image=source))
    finally:
        await provider.stop()
    assert [image.data for image in images] == [png((60, 40), "lime")]
    (submit,) = fake_fal.log.to("POST")
    assert submit.path == "/fal-ai/esrgan"
    arguments = submit.json()
    header, _, payload = arguments.pop("image_url").partition(",")
    assert (header, base64.b64decode(payload)) == ("data:image/png;base64", source)
    assert arguments == {"scale": 2, "output_format": "png"}
