"""An in-process Telegram Bot API emulator (see :class:`BotApiEmulator`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from devtools.emulator.models import ApiCall, ApiError, BotEvent, UploadedFile, WebhookConfig
from devtools.emulator.users import (
    command_entities,
    make_group_chat,
    make_private_chat,
    make_user,
)

if TYPE_CHECKING:
    from devtools.emulator.server import DEFAULT_TOKEN, BotApiEmulator

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotEvent",
    "UploadedFile",
    "WebhookConfig",
    "command_entities",
    "make_group_chat",
    "make_private_chat",
    "make_user",
]


def __getattr__(name: str) -> Any:
    # The server is imported on first use, so that `python -m devtools.emulator.spec`
    # does not find its own module imported already (runpy warns about that).
    if name in ("BotApiEmulator", "DEFAULT_TOKEN"):
        return getattr(importlib.import_module("devtools.emulator.server"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
