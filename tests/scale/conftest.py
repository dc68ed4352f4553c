"""Fixtures for many real ``fulmine`` processes on one real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from devtools.emulator import BotApiEmulator
from orchestrator.serving.server import serve_in_background
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_store import RedisStateStore
from tests.conftest import BOT_TOKEN, BOT_USERNAME
from tests.processes import Fulmine, HeldDownloads, fulmine_env
from tests.redis_server import RedisServer

Launch = Callable[..., Fulmine]

# As in the in-process tests: chats unpaced, so that a test of queues or crashes does not
# wait a second per message; the pacing test sets Telegram's published rates itself.
UNPACED = {"TELEGRAM_CHAT_MESSAGES_PER_S": "0", "TELEGRAM_GROUP_MESSAGES_PER_MIN": "0"}


class Cluster:
    """The emulator (in this process), its held downloads, and fulmine processes."""

    def __init__(
        self, emulator: BotApiEmulator, held: HeldDownloads, url: str, redis_url: str, workdir: Path
    ) -> None:
        self.emulator = emulator
        self.held = held
        self.url = url
        self.prefix = f"scale-{uuid.uuid4().hex[:10]}:"
        self.redis_url = redis_url
        self.workdir = workdir
        self.processes: list[Fulmine] = []

    async def start(self, name: str, *args: str, **settings: str) -> Fulmine:
        env = fulmine_env(
            self.url,
            REDIS_URL=self.redis_url,
            REDIS_KEY_PREFIX=self.prefix,
            **(UNPACED | settings),
        )
        process = Fulmine(name, list(args), env, self.workdir)
        self.processes.append(process)
        await process.start()
        return process

    def store(self) -> RedisStateStore:
        """A view of the cluster's state, as any process sees it."""
        return RedisStateStore(connect(self.redis_url), RedisKeys(self.prefix))


@pytest.fixture
async def cluster(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[Cluster]:
    emulator = BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME)
    held = HeldDownloads(emulator.app)
    async with serve_in_background(held) as url:
        built = Cluster(emulator, held, url, redis_server.url, tmp_path)
        try:
            yield built
        finally:
            held.release.set()
            for process in built.processes:
                await process.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
