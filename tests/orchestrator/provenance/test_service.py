"""The provenance service as the worker and the front ends use it (state in memory)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fulmine.errors import InvalidInput
from orchestrator.provenance import manifest
from orchestrator.provenance.service import Provenance
from providers.base import ImageRequest, ProviderImage
from providers.placeholder import PlaceholderProvider
from state.memory import MemoryStateStore
from state.models import InputImage, Job, JobKind
from tests.conftest import make_settings
from tests.orchestrator.provenance.image_set import decoded, telegram_photo

SECRET_PROMPT = "my neighbour's cat, secretly"


async def _service(**overrides: object) -> tuple[Provenance, MemoryStateStore]:
    store = MemoryStateStore()
    provenance = Provenance(make_settings("http://127.0.0.1:9", **overrides), store)
    await provenance.start()
    return provenance, store


def _job(kind: JobKind = JobKind.GENERATE) -> Job:
    source = InputImage(file_id="f") if kind is JobKind.EDIT else None
    return Job(
        kind=kind,
        prompt=SECRET_PROMPT,
        chat_id=5,
        user_id=777,
        request_message_id=1,
        input_image=source,
    )


async def _made() -> list[ProviderImage]:
    return await PlaceholderProvider().generate(ImageRequest(prompt="a fox", num_images=2))


async def test_each_image_gets_its_own_mark_naming_the_job_and_nothing_more() -> None:
    provenance, _ = await _service()
    job = _job()
    stamped = await provenance.stamp(job, await _made(), "placeholder", None)
    verdicts = [await provenance.verify(telegram_photo(decoded(i.data), 84)) for i in stamped]
    payloads = {v.payload for v in verdicts}
    assert len(payloads) == 2
    assert None not in payloads
    for verdict in verdicts:
        assert verdict.record is not None
        assert verdict.record.job_id == job.id
        assert (verdict.record.kind, verdict.record.provider) == ("generate", "placeholder")
        fields = set(verdict.record.model_dump())  # nothing about who asked
        assert fields == {"payload", "job_id", "created_at", "kind", "model", "provider"}
        assert SECRET_PROMPT not in verdict.record.model_dump_json()
    for index, image in enumerate(stamped):  # the signed files, kept for "Original file"
        assert await provenance.original(job.id, index) == image.data
        assert SECRET_PROMPT.encode() not in image.data


async def test_the_prompt_is_signed_in_only_when_the_operator_asks() -> None:
    provenance, _ = await _service(provenance_include_prompt=True)
    (image, _) = await provenance.stamp(_job(), await _made(), "placeholder", None)
    assert SECRET_PROMPT.encode() in image.data


async def test_an_image_too_small_for_a_mark_is_still_signed() -> None:
    provenance, _ = await _service()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gold").save(out, "PNG")
    (stamped,) = await provenance.stamp(
        _job(), [ProviderImage(out.getvalue(), "image/png")], "fal", None
    )
    found = manifest.read(stamped.data, "image/png")
    assert found is not None
    assert found.valid
    assert found.model == "fal-ai/flux-lora"  # the model the provider was configured with
    verdict = await provenance.verify(stamped.data)
    assert verdict.payload is None
    assert verdict.manifest is not None


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"0" * 64])
async def test_what_is_not_an_image_is_refused_plainly(data: bytes) -> None:
    provenance, _ = await _service()
    with pytest.raises(InvalidInput):
        await provenance.verify(data)
