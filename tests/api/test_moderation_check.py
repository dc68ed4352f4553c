"""``POST /api/v1/moderation/check`` where the HTTP API runs: public and rate-limited per
client; the matched terms only with the admin key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiStack

KEY = "moderation-admin-key-0123456789"
PATH = "/api/v1/moderation/check"


@pytest.fixture
def api_overrides() -> dict[str, Any]:
    return {"moderation_api_key": KEY, "api_rate_limit_per_minute": 3}


async def test_public_answer_without_terms_admin_answer_with_them(api: ApiStack) -> None:
    public = await api.http.post(PATH, json={"prompt": "n u d e woman"})
    assert public.status_code == 200, public.text
    body = public.json()
    assert (body["allowed"], body["category"], body["policy"]) == (False, "sexual", "standard")
    assert "matched" not in body

    admin = await api.http.post(
        PATH, json={"prompt": "n u d e woman"}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert admin.status_code == 200
    assert admin.json()["matched"]
    assert KEY not in admin.text

    safe = await api.http.post(PATH, json={"prompt": "a red fox", "policy": "strict"})
    assert safe.json()["allowed"] is True

    wrong = await api.http.post(
        PATH, json={"prompt": "a red fox"}, headers={"Authorization": "Bearer not-the-key"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_key")


async def test_public_checks_are_rate_limited_per_client(api: ApiStack) -> None:
    for _ in range(3):
        assert (await api.http.post(PATH, json={"prompt": "a red fox"})).status_code == 200
    limited = await api.http.post(PATH, json={"prompt": "a red fox"})
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    admin = await api.http.post(
        PATH, json={"prompt": "a red fox"}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert admin.status_code == 200  # the admin key is not counted


async def test_public_prompts_are_bounded(api: ApiStack) -> None:
    too_long = await api.http.post(PATH, json={"prompt": "a" * 501})
    assert (too_long.status_code, too_long.json()["error"]) == (400, "prompt_too_long")
    empty = await api.http.post(PATH, json={"prompt": ""})
    assert empty.status_code == 400
