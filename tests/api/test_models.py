"""``GET /api/v1/models`` and the bot's ``/models`` list the same catalog entries."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.models import router
from bot import texts
from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from tests.conftest import Stack, make_settings
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate


@pytest.fixture
async def stack(
    emulator: tuple[BotApiEmulator, str], fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> AsyncIterator[Stack]:
    bot_api, bot_api_url = emulator
    values: dict[str, Any] = {
        **hosted_settings(fake_replicate, fake_fal),
        "payments_backend": "fake",
    }
    app = create_app(make_settings(bot_api_url, **values), TelegramFrontend, routers=[router])
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)


def _names_in(text: str) -> list[str]:
    return re.findall(r"^[★•] ([a-z0-9._-]+):", text, flags=re.MULTILINE)


async def test_the_bot_and_the_api_list_the_same_models(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/api/v1/models")
    assert response.status_code == 200
    served = response.json()["models"]
    names = [model["name"] for model in served]
    assert names == ["flux-dev", "flux-schnell", "flux-pro", "nano-banana", "kontext", "esrgan"]
    schnell = next(model for model in served if model["name"] == "flux-schnell")
    entry = stack.runtime.catalog.get("flux-schnell")
    assert entry is not None
    assert schnell == {
        "name": "flux-schnell",
        "kind": "generate",
        "price_sats": entry.price_sats,
        "description": entry.description,
        "loras": [],
        "default": False,
    }
    assert "black-forest-labs" not in response.text  # no provider ids, no weights

    user = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/models"))
    (answer,) = stack.emulator.calls_to("sendMessage")
    listed = str(answer.params["text"])
    assert _names_in(listed) == names
    for model in served:
        line = texts.text(
            "models_line_priced",
            marker="★" if model["default"] else "•",
            name=model["name"],
            price=model["price_sats"],
            description=model["description"],
        )
        assert line in listed
    buttons = [b for row in answer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == [
        "m:flux-dev",
        "m:flux-schnell",
        "m:flux-pro",
        "m:nano-banana",
        "m:kontext",
    ]


def test_the_route_is_registered_for_the_app() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    routers = pyproject["project"]["entry-points"]["fulmine.routers"]
    assert routers == {"models": "api.models:router"}
