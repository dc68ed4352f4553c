"""Finding the image an /edit applies to."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message

from bot import texts
from bot.intake.user_input import quoted
from state.models import InputImage

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots cannot download bigger files
EDITABLE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True, slots=True)
class NoImage:
    """Neither the message nor the one it replies to carries an image."""


@dataclass(frozen=True, slots=True)
class UnsupportedFile:
    mime_type: str


@dataclass(frozen=True, slots=True)
class TooBig:
    size: int


EditSource = InputImage | NoImage | UnsupportedFile | TooBig


def _image_of(message: Message) -> EditSource:
    if message.photo:
        largest = message.photo[-1]  # Telegram lists sizes smallest first
        found = InputImage(
            file_id=largest.file_id, file_size=largest.file_size, mime_type="image/jpeg"
        )
    elif message.document is not None:
        mime_type = message.document.mime_type or "application/octet-stream"
        if mime_type not in EDITABLE_MIME_TYPES:
            return UnsupportedFile(quoted(mime_type))  # the sender's client names it
        found = InputImage(
            file_id=message.document.file_id,
            file_size=message.document.file_size,
            mime_type=mime_type,
        )
    else:
        return NoImage()
    if found.file_size is not None and found.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        return TooBig(found.file_size)
    return found


def find_edit_source(message: Message) -> EditSource:
    """The message's own photo or image file (an /edit caption), else the replied one."""
    own = _image_of(message)
    if not isinstance(own, NoImage) or message.reply_to_message is None:
        return own
    return _image_of(message.reply_to_message)


def source_problem(source: EditSource, language: str | None) -> str | None:
    """What is wrong with the image a request names, in the user's words; None: nothing."""
    if isinstance(source, NoImage):
        return texts.text("edit_needs_image", language)
    if isinstance(source, UnsupportedFile):
        return texts.text("unsupported_file", language, mime_type=source.mime_type)
    if isinstance(source, TooBig):
        size_mb = f"{source.size / 2**20:.1f}"
        return texts.text("file_too_big", language, size_mb=size_mb, limit_mb=20)
    return None
