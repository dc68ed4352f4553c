"""The Mini App served with the chat and the HTTP API (whose route serves the image
store's signed links), against the Bot API emulator: a ``fulmine serve`` in process."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.frontend import ApiFrontend
from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from miniapp.frontend import MiniAppFrontend
from miniapp.init_data import sign
from orchestrator.app import create_app
from orchestrator.runtime import Runtime
from orchestrator.serving.server import serve_in_background
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, make_settings

ADMIN_ID = 42  # tests.conftest.make_settings makes 42 the admin


def init_data(
    user_id: int, token: str = BOT_TOKEN, auth_date: float | None = None, name: str = "Ada"
) -> str:
    """initData as Telegram hands it to the page, signed with ``token``."""
    user = {"id": user_id, "first_name": name, "language_code": "en"}
    fields = {
        "query_id": "AAH-test",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
    }
    return sign(fields, token)


@dataclass
class AppStack:
    emulator: BotApiEmulator
    runtime: Runtime
    url: str
    http: httpx.AsyncClient

    def auth(self, user_id: int, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"tma {init_data(user_id, **kwargs)}"}

    async def chat(self, user_id: int, text: str, name: str = "Ada") -> None:
        """``user_id`` writes ``text`` to the bot in their private chat; waits for the answer."""
        user = self.emulator.user(user_id, name, language_code="en")
        chat = self.emulator.private_chat(user)
        update = self.emulator.user_message(chat, user, text=text)
        response = await self.http.post(
            f"{self.url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert response.status_code == 200
        await self.runtime.wait_idle()

    def photos_to(self, chat_id: int) -> list[Any]:
        return [c for c in self.emulator.calls_to("sendPhoto") if c.params["chat_id"] == chat_id]


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def app_stack(
    emulator: tuple[BotApiEmulator, str],
    tmp_path: Path,
    app_overrides: dict[str, Any],
    state_backend: dict[str, Any],
) -> AsyncIterator[AppStack]:
    bot_api, bot_api_url = emulator
    settings = make_settings(
        bot_api_url,
        **{"image_store_path": str(tmp_path / "images"), **state_backend, **app_overrides},
    )
    app = create_app(settings, [TelegramFrontend, ApiFrontend, MiniAppFrontend])
    async with serve_in_background(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        yield AppStack(bot_api, app.state.runtime, url, http)
