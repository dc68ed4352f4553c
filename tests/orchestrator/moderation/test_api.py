"""POST /api/v1/moderation/check over real HTTP, on a FastAPI app that mounts the router
with a Moderator in app.state (as orchestrator/app.py will)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from orchestrator.moderation import Moderator
from orchestrator.moderation.api import router
from orchestrator.serving.server import serve_in_background
from tests.orchestrator.moderation.conftest import SettingsFactory

KEY = "moderation-admin-key-0123456789"
PATH = "/api/v1/moderation/check"
Served = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Moderator]]]


@pytest.fixture
def served(moderation_settings: SettingsFactory) -> Served:
    @asynccontextmanager
    async def serve(
        start: bool = True, **overrides: object
    ) -> AsyncIterator[tuple[httpx.AsyncClient, Moderator]]:
        moderator = Moderator(moderation_settings(**overrides))
        app = FastAPI()
        app.state.moderator = moderator
        app.include_router(router)
        if start:
            await moderator.start()
        try:
            async with (
                serve_in_background(app) as url,
                httpx.AsyncClient(base_url=url, timeout=10) as http,
            ):
                yield http, moderator
        finally:
            await moderator.stop()

    return serve


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_returns_the_decision(served: Served) -> None:
    async with served(moderation_api_key=KEY) as (http, _):
        blocked = await http.post(PATH, json={"prompt": "n u d e woman"}, headers=_auth())
        assert blocked.status_code == 200
        body = blocked.json()
        assert body["allowed"] is False
        assert body["category"] == "sexual"
        assert body["score"] == 1.0
        assert body["policy"] == "standard"
        assert body["checks"] == ["terms", "minors_rule", "profanity_model"]
        assert KEY not in blocked.text

        allowed = await http.post(
            PATH, json={"prompt": "a girl reading a book", "policy": "strict"}, headers=_auth()
        )
        assert allowed.status_code == 200
        assert allowed.json()["allowed"] is True
        assert allowed.json()["policy"] == "strict"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _auth("wrong-key-wrong-key-wrong"),
        _auth(KEY + "x"),
        _auth(KEY[:-1]),
        {"Authorization": KEY},  # no scheme
        {"Authorization": f"Basic {KEY}"},
    ],
)
async def test_a_missing_or_wrong_key_is_401(served: Served, headers: dict[str, str]) -> None:
    async with served(moderation_api_key=KEY) as (http, _):
        response = await http.post(PATH, json={"prompt": "porn"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert KEY not in response.text


async def test_without_a_configured_key_the_endpoint_is_404(served: Served) -> None:
    async with served() as (http, _):
        for headers in ({}, _auth()):
            response = await http.post(PATH, json={"prompt": "a red fox"}, headers=headers)
            assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"prompt": ""}, {"prompt": "x" * 4001}, {"prompt": "ok", "policy": "lax"}, {"p": 1}],
)
async def test_bad_bodies_are_422(served: Served, body: dict[str, object]) -> None:
    async with served(moderation_api_key=KEY) as (http, _):
        response = await http.post(PATH, json=body, headers=_auth())
        assert response.status_code == 422


async def test_before_start_it_is_503(served: Served) -> None:
    async with served(start=False, moderation_api_key=KEY) as (http, moderator):
        response = await http.post(PATH, json={"prompt": "a red fox"}, headers=_auth())
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        await moderator.start()
        response = await http.post(PATH, json={"prompt": "a red fox"}, headers=_auth())
        assert response.status_code == 200


@pytest.mark.parametrize("key", ["short", "   "])
def test_the_key_must_be_long_or_unset(moderation_settings: SettingsFactory, key: str) -> None:
    if key.strip():
        with pytest.raises(ValueError, match="at least 16 characters"):
            moderation_settings(moderation_api_key=key)
    else:
        assert moderation_settings(moderation_api_key=key).moderation_api_key is None
