"""The inline buttons under a result: Regenerate, Variations, Upscale x2 and Original file.

``callback_data`` is ``<action>:<job id>`` (34 bytes; Telegram allows 64), or
``<action>:<job id>:<n>`` for the n-th image of an album (each image of an album has its own
Upscale, Variations and Edit buttons, under the album), so a press is looked up in the
state store. A press is a new request like a typed command:

- Regenerate (and Try again, under a failure): the same kind, prompt, options and source
  image, with a new seed.
- Variations: new images close to the one that was sent: the provider's image-to-image
  with the original prompt at ``VARIATION_STRENGTH``.
- Upscale x2: the image that was sent, through the catalog's upscale model (the result
  comes as a document, at full resolution; it has no buttons of its own).
- Edit: "What should I change?" about the chosen image; the answer edits it
  (``bot.intake.conversation``).
- Original file: the signed original as a document (``bot/results/provenance.py``), no request.
- Details: the seed, model and size, in the button's pop-up (``bot/results/details.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.intake.options import ImageOptions
from state.models import InputImage, Job, JobKind

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit
VARIATION_STRENGTH = 0.6  # image-to-image: 0 keeps the image, 1 ignores it


class Action(StrEnum):
    REGENERATE = "r"
    VARIATIONS = "v"
    UPSCALE = "u"
    ORIGINAL = "o"
    RETRY = "t"  # "Try again" under a failure
    CANCEL = "c"  # under a status message (bot/intake/cancel.py)
    EDIT = "e"
    DETAILS = "i"  # seed, model and size, in the button's pop-up (bot/results/details.py)


@dataclass(frozen=True, slots=True)
class Press:
    action: Action
    job_id: str
    index: int = 0  # which image of the result


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The request a press makes."""

    kind: JobKind
    prompt: str
    source: InputImage | None
    options: ImageOptions


def callback_data(action: Action, job_id: str, index: int | None = None) -> str:
    data = f"{action.value}:{job_id}" + (f":{index}" if index is not None else "")
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError("callback data over Telegram's 64 bytes")
    return data


def parse_press(data: str | None) -> Press | None:
    """The press a button's data names, or None for data that is not ours."""
    action, colon, rest = (data or "").partition(":")
    job_id, _, index = rest.partition(":")
    if not colon or not job_id.isalnum() or action not in {a.value for a in Action}:
        return None
    if index and not (index.isascii() and index.isdigit() and len(index) <= 2):
        return None
    return Press(Action(action), job_id, int(index or 0))


def result_keyboard(job: Job) -> InlineKeyboardMarkup | None:
    """The buttons under a result; none under an upscaled one; History under an edit's
    (``bot/results/history.py``)."""
    if job.kind is JobKind.UPSCALE:
        return None
    history = [
        [
            InlineKeyboardButton(
                texts.text("button_history", job.language), callback_data=f"h:{job.id}"
            )
        ]
    ]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.text("button_regenerate", job.language),
                    callback_data=callback_data(Action.REGENERATE, job.id),
                ),
                InlineKeyboardButton(
                    texts.text("button_variations", job.language),
                    callback_data=callback_data(Action.VARIATIONS, job.id),
                ),
            ],
            [
                InlineKeyboardButton(
                    texts.text("button_upscale", job.language),
                    callback_data=callback_data(Action.UPSCALE, job.id),
                ),
                InlineKeyboardButton(
                    texts.text("button_original", job.language),
                    callback_data=callback_data(Action.ORIGINAL, job.id),
                ),
                InlineKeyboardButton(
                    texts.text("button_details", job.language),
                    callback_data=callback_data(Action.DETAILS, job.id),
                ),
            ],
            *(history if job.kind is JobKind.EDIT else []),
        ]
    )


def album_keyboard(job: Job, count: int) -> InlineKeyboardMarkup:
    """Under an album: Regenerate for the whole, then per image Upscale, Variations, Edit."""
    language = job.language
    rows = [
        [
            InlineKeyboardButton(
                texts.text("button_regenerate", language),
                callback_data=callback_data(Action.REGENERATE, job.id),
            ),
            InlineKeyboardButton(
                texts.text("button_details", language),
                callback_data=callback_data(Action.DETAILS, job.id),
            ),
        ]
    ]
    for index in range(count):
        n = index + 1
        rows.append(
            [
                InlineKeyboardButton(
                    texts.text(f"button_{name}_n", language, n=n),
                    callback_data=callback_data(action, job.id, index),
                )
                for name, action in (
                    ("upscale", Action.UPSCALE),
                    ("variations", Action.VARIATIONS),
                    ("edit", Action.EDIT),
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def follow_up(press: Press, job: Job) -> FollowUp | None:
    """The request a press on ``job``'s result makes; None when it cannot be made."""
    if press.action in (Action.REGENERATE, Action.RETRY):
        options = ImageOptions(
            aspect_ratio=job.aspect_ratio,
            seed=None,
            num_images=job.num_images,
            model=job.model,
            lora=job.lora,
            lora_scale=job.lora_scale,
            enhance=job.enhance,
            strength=job.variation_strength,
        )
        prompt = job.original_prompt or job.prompt  # enhanced again, if it was
        return FollowUp(job.kind, prompt, job.input_image, options)
    if press.index >= len(job.result_file_ids):
        return None
    source = InputImage(file_id=job.result_file_ids[press.index])
    if press.action is Action.UPSCALE:
        return FollowUp(JobKind.UPSCALE, job.prompt, source, ImageOptions(num_images=1))
    if press.action is Action.EDIT:  # asked first: the answer is the instruction
        return FollowUp(JobKind.EDIT, "", source, ImageOptions(num_images=1))
    # Variations: image-to-image from the chosen image with the original prompt, at a
    # moderate strength: close to it, not an edit whose instruction is the prompt.
    options = ImageOptions(
        aspect_ratio=job.aspect_ratio,
        num_images=job.num_images,
        model=job.model if job.kind is JobKind.GENERATE else None,
        strength=VARIATION_STRENGTH,
    )
    return FollowUp(JobKind.GENERATE, job.original_prompt or job.prompt, source, options)
