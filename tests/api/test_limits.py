"""Bad input and limits over the HTTP API: each a clear 4xx JSON error, nothing queued,
no invoice issued."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from tests.api.conftest import ApiStack
from tests.conftest import png_bytes

BLOCKED_PROMPT = "explicit porn of a naked woman"  # the engine scores it sexual, 1.0


@pytest.fixture
def api_overrides() -> dict[str, Any]:
    return {"api_rate_limit_per_minute": 12, "max_prompt_chars": 50}


def big_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (5000, 4000)).save(buffer, format="PNG")  # 20 MP, a few KB
    return buffer.getvalue()


async def refused(api: ApiStack, body: dict[str, Any], status: int, error: str) -> None:
    response = await api.http.post("/api/v1/invoice", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert await api.runtime.queue.pending() == 0
    assert await api.runtime.payments.ledger.pending_invoices() == []  # type: ignore[union-attr]


async def test_bad_input_is_refused_before_any_invoice(api: ApiStack) -> None:
    await refused(api, {"prompt": "x" * 51}, 400, "prompt_too_long")
    await refused(api, {"prompt": "   "}, 400, "invalid_request")
    await refused(api, {"prompt": "a fox", "model": "dall-e-9"}, 400, "unknown_model")
    await refused(api, {"prompt": "a fox", "kind": "edit"}, 400, "invalid_request")
    await refused(api, {"prompt": "a fox", "kind": "edit", "image": "@@@"}, 400, "invalid_image")
    text = base64.b64encode(b"not an image").decode()
    await refused(api, {"prompt": "a fox", "kind": "edit", "image": text}, 400, "invalid_image")
    huge = base64.b64encode(big_png()).decode()
    await refused(api, {"prompt": "a fox", "kind": "edit", "image": huge}, 413, "image_too_large")
    await refused(api, {"prompt": "a fox", "options": {"num_images": 9}}, 400, "invalid_request")
    blocked = await api.http.post("/api/v1/invoice", json={"prompt": BLOCKED_PROMPT})
    assert blocked.status_code == 422
    assert blocked.json()["category"] == "sexual"
    assert await api.runtime.queue.pending() == 0


async def test_an_edit_with_an_image_gets_its_invoice(api: ApiStack) -> None:
    image = base64.b64encode(png_bytes()).decode()
    response = await api.http.post(
        "/api/v1/invoice", json={"prompt": "make it night", "kind": "edit", "image": image}
    )
    assert response.status_code == 200
    assert response.json()["amount_sats"] == 150


async def test_body_over_the_limit_is_413(api: ApiStack) -> None:
    body = b'{"prompt": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    response = await api.http.post(
        "/api/v1/invoice", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_clients_are_rate_limited(api: ApiStack) -> None:
    codes = [
        (await api.http.post("/api/v1/payment/status", json={"invoice_id": "0" * 32})).status_code
        for _ in range(13)
    ]
    assert codes[:12] == [404] * 12
    assert codes[12] == 429
