"""Plain data shared by the emulator's modules: what it records and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]
"""A Bot API object as JSON: a Message, a User, an Update, ..."""

EventKind = Literal["message", "edit", "delete", "chat_action"]


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description if code != 400 else f"Bad Request: {description}"


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part as the bot uploaded it."""

    name: str
    """The multipart field name (the parameter, or the ``attach://`` name)."""
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request the bot made (with a valid token), as the emulator understood it.

    ``params`` holds the decoded parameters (integers, booleans, dicts for objects; an
    :class:`UploadedFile` where a file was uploaded in place). ``files`` maps every uploaded
    multipart part name to its bytes (a call refused before its parameters could be decoded
    keeps the raw values, strings from a form). ``result`` is the JSON result when ``ok``,
    else the error description sent back, with its ``error_code``. ``answered`` is False
    for a call carried out whose answer was held back (``inject_fault(status="timeout")``).
    """

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    ok: bool
    result: Any
    error_code: int | None = None
    answered: bool = True


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did that a chat member would see."""

    kind: EventKind
    chat_id: int
    message: JSON | None = None
    """The Message after the change (``message`` and ``edit``)."""
    message_id: int | None = None
    action: str | None = None
    """The chat action (``chat_action`` only), e.g. ``upload_photo``."""


@dataclass(frozen=True)
class WebhookConfig:
    """What the bot set with setWebhook."""

    url: str
    secret_token: str | None = None
    allowed_updates: tuple[str, ...] | None = None
    max_connections: int | None = None
    ip_address: str | None = None
    has_custom_certificate: bool = False
