"""An in-process Telegram Bot API emulator (see :class:`BotApiEmulator`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from orchestrator.emulator.models import ApiCall, ApiError, BotEvent, UploadedFile, WebhookConfig
from orchestrator.emulator.users import (
    command_entities,
    make_group_chat,
    make_private_chat,
    make_user,
)

if TYPE_CHECKING:
    from orchestrator.emulator.server import DEFAULT_TOKEN, BotApiEmulator

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
    # The server is imported on first use, so that `python -m orchestrator.emulator.spec`
    # does not find its own module imported already (runpy warns about that).
    if name in ("BotApiEmulator", "DEFAULT_TOKEN"):
        return getattr(importlib.import_module("orchestrator.emulator.server"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
