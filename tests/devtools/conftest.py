"""The emulator served on a local port, and python-telegram-bot's real ``Bot`` against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram

from devtools.emulator import BotApiEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A served, strict emulator for the default token (overrides the shared fixture)."""
    emulator = BotApiEmulator()
    async with emulator.serve():
        yield emulator


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """python-telegram-bot's real Bot, initialized against the emulator (getMe done)."""
    async with telegram.Bot(
        emulator.token, base_url=emulator.api_url, base_file_url=emulator.file_url
    ) as client:
        yield client
