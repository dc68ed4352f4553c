"""Which words each failure gets: what failed, named as it failed."""

from __future__ import annotations

import pytest

from bot import texts
from bot.sending.failures import failure_text_key, retry_keyboard
from fulmine.errors import ImageTooLarge, InvalidInput
from orchestrator.errors import JobExpired
from orchestrator.moderation.errors import InputImageBlocked
from providers.errors import ContentRefused, ProviderTimeout
from state.models import Job, JobKind


@pytest.mark.parametrize(
    ("error", "key"),
    [
        # A provider (a GPU server's 422, a hosted one's) rejecting the request is not
        # an unreadable image.
        (
            InvalidInput("gpu", "answered 422: guidance_scale out of range"),
            "failed_provider_rejected",
        ),
        (
            ContentRefused("replicate", "422 bad input", reason="invalid_input"),
            "failed_provider_rejected",
        ),
        (ContentRefused("fal", "NSFW", reason="policy"), "failed_refused"),
        (InvalidInput("telegram", "file over the 20 MB download limit"), "failed_input"),
        (InvalidInput("input", "not a JPEG, PNG or WebP image"), "failed_input"),
        (ImageTooLarge("input", 9000, 9000, 16_000_000), "failed_input_too_large"),
        (ProviderTimeout("replicate", 90), "failed_timeout"),
        (JobExpired("j", 5), "failed_internal"),
        (RuntimeError("boom"), "failed_internal"),
    ],
)
def test_each_failure_names_what_failed(error: BaseException, key: str) -> None:
    assert failure_text_key(error) == key


def test_every_failure_text_says_the_user_was_not_charged() -> None:
    keys = {failure_text_key(error) for error in (RuntimeError(), JobExpired("j", 1))}
    keys |= {key for key in texts._catalog("en") if key.startswith("failed_")}
    for key in keys:
        assert "You were not charged" in texts.text(key), key


def test_a_blocked_input_image_gets_no_try_again_button() -> None:
    job = Job(kind=JobKind.EDIT, prompt="x", chat_id=1, user_id=1, request_message_id=1)
    assert retry_keyboard(job, InputImageBlocked("sexual", 0.9)) is None
    keyboard = retry_keyboard(job, ProviderTimeout("fal", 30))
    assert keyboard is not None
    assert keyboard.inline_keyboard[0][0].callback_data == f"t:{job.id}"
