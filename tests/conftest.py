"""Shared fixtures: a Bot API emulator and the real orchestrator, both on loopback."""

from __future__ import annotations

# fal-client reads its hosts once, when first imported: point them at the fake fal first.
import tests.fakes.hosts  # noqa: F401

# isort: split
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.payments.service import PaymentService
from orchestrator.runtime import Runtime
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings
from providers.payments.fake import FakePaymentBackend
from tests.redis_server import RedisServer

pytest_plugins = [
    "tests.fakes.fixtures",  # fake Replicate and fal servers
    "tests.services.lnbits_server",  # the real LNbits, one per session for every test
    "tests.bot_api_spec",  # the Bot API specification and a checker of objects against it
]

BOT_TOKEN = "123456789:TEST-token_abcdefghijklmnopqrstuvwxyz0123"
WEBHOOK_SECRET = "test-webhook-secret_0123456789"
BOT_USERNAME = "fulmine_test_bot"


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Stack:
    emulator: BotApiEmulator
    runtime: Runtime
    url: str
    http: httpx.AsyncClient

    async def post(
        self, update: Any, secret: str | None = WEBHOOK_SECRET, **kwargs: Any
    ) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if isinstance(update, bytes | str):
            kwargs["content"] = update
            headers["Content-Type"] = "application/json"
        else:
            kwargs["json"] = update
        return await self.http.post(f"{self.url}/telegram/webhook", headers=headers, **kwargs)

    def fake_payments(self) -> tuple[PaymentService, FakePaymentBackend]:
        """The payment service and its fake backend (``PAYMENTS_BACKEND=fake``)."""
        payments = self.runtime.payments
        assert payments is not None
        assert isinstance(payments.backend, FakePaymentBackend)
        return payments, payments.backend

    async def send(self, update: dict[str, Any]) -> httpx.Response:
        """Post an update and wait until everything it started has finished."""
        response = await self.post(update)
        await self.runtime.wait_idle()
        return response


def make_settings(emulator_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "telegram_api_base_url": f"{emulator_url}/bot",
        "telegram_file_base_url": f"{emulator_url}/file/bot",
        "admin_user_ids": "42",
        "telegram_set_menus": False,  # tests/bot/test_menus.py sets them
        # One message a second per chat makes every test that answers a chat twice wait;
        # tests/bot/test_pacing.py (and the scale tests' processes) run the published rates.
        "telegram_chat_messages_per_s": 0,
        "telegram_group_messages_per_min": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def _image_store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Images delivered in tests are kept (the gallery) in the test's own folder, never in
    the working directory; a test's own IMAGE_STORE_PATH still wins."""
    monkeypatch.setenv("IMAGE_STORE_PATH", str(tmp_path / "fulmine-images"))


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    emulator = BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME)
    async with serve_in_background(emulator.app) as url:
        yield emulator, url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session; tests keep apart by key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def redis_settings(server: RedisServer) -> dict[str, Any]:
    """Settings for a fresh, empty corner of the shared Redis."""
    return {"redis_url": server.url, "redis_key_prefix": f"test-{uuid.uuid4().hex[:12]}:"}


@pytest.fixture(params=["memory", "redis"])
def state_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every test on the stack runs once with state in memory and once on Redis."""
    if request.param == "memory":
        return {}
    return redis_settings(request.getfixturevalue("redis_server"))


@pytest.fixture
async def stack(
    emulator: tuple[BotApiEmulator, str],
    settings_overrides: dict[str, Any],
    state_backend: dict[str, Any],
) -> AsyncIterator[Stack]:
    bot_api, bot_api_url = emulator
    settings = make_settings(bot_api_url, **{**state_backend, **settings_overrides})
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)
