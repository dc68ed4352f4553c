"""The HTTP API front end served on loopback, alone (no Telegram), with the fake backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.frontend import ApiFrontend
from orchestrator.app import create_app
from orchestrator.runtime import Runtime
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

PRICE = 100


def api_settings(images: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "payments_backend": "fake",
        "price_generate_sats": PRICE,
        "price_edit_sats": 150,
        "image_store_path": str(images),
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class ApiStack:
    runtime: Runtime
    url: str
    http: httpx.AsyncClient


@pytest.fixture
def api_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def api(
    tmp_path: Path, api_overrides: dict[str, Any], state_backend: dict[str, Any]
) -> AsyncIterator[ApiStack]:
    settings = api_settings(tmp_path / "images", **{**state_backend, **api_overrides})
    app = create_app(settings, [ApiFrontend])
    async with serve_in_background(app) as url, httpx.AsyncClient(base_url=url, timeout=40) as http:
        yield ApiStack(app.state.runtime, url, http)
