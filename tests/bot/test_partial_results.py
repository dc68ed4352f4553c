"""The caption of a result with fewer images than asked (``bot.sending.delivery.caption_of``): it
says how many could not be sent and, with payments on, that only those sent were charged,
within Telegram's caption limit and without breaking a group's mention of the requester."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.intake.commands import CAPTION_LIMIT
from bot.sending.delivery import caption_of
from state.models import Job, JobKind


def _job(**fields: Any) -> Job:
    values = {
        "kind": JobKind.GENERATE,
        "prompt": "four foxes",
        "num_images": 4,
        "chat_id": 7,
        "user_id": 7,
        "request_message_id": 1,
        "language": "en",
        **fields,
    }
    return Job(**values)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_paid_result_with_images_missing_says_what_was_charged() -> None:
    caption, entities = caption_of(_job(reserved_sats=400), delivered=1)
    line = texts.text("result_partial_charged", missing=3, asked=4, delivered=1)
    assert caption == f"four foxes\n\n{line}"
    assert line == "3 of 4 images could not be sent; you were charged for 1."
    assert entities == []


def test_a_free_result_with_images_missing_says_so_without_charges() -> None:
    caption, _ = caption_of(_job(), delivered=2)
    assert caption == "four foxes\n\n" + texts.text("result_partial", missing=2, asked=4)


def test_a_whole_result_has_the_prompt_alone() -> None:
    assert caption_of(_job(reserved_sats=400), delivered=4) == ("four foxes", [])
    assert caption_of(_job(reserved_sats=400)) == ("four foxes", [])


def test_the_line_fits_in_the_caption_limit_and_keeps_the_mention() -> None:
    job = _job(
        prompt="a fox " * 400,
        chat_id=-100,
        chat_type="supergroup",
        requester_name="Ada",
        reserved_sats=400,
    )
    caption, [mention] = caption_of(job, delivered=1)
    assert _utf16(caption) <= CAPTION_LIMIT
    assert caption.endswith(
        "\n\n" + texts.text("result_partial_charged", missing=3, asked=4, delivered=1)
    )
    assert caption[mention.offset : mention.offset + mention.length] == "Ada"
