"""Fixtures for the moderation engine: settings with overrides and a started Moderator."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from PIL import Image

from orchestrator.moderation import Moderator
from orchestrator.settings import Settings
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def moderation_settings() -> SettingsFactory:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": BOT_TOKEN,
            "telegram_webhook_secret": WEBHOOK_SECRET,
            **overrides,
        }
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture
async def moderator(moderation_settings: SettingsFactory) -> AsyncIterator[Moderator]:
    started = Moderator(moderation_settings())
    await started.start()
    yield started
    await started.stop()


def png(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def flat(color: tuple[int, int, int], size: int = 512) -> bytes:
    return png(Image.new("RGB", (size, size), color))
