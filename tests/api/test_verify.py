"""``POST /api/v1/verify`` over HTTP: an image made through the API, fetched, and the same
image re-encoded the way Telegram does, are recognised (watermark and what it names; the
manifest while the file keeps it); an unmarked image is not claimed; no answer carries the
prompt or the request's id (even with the prompt signed into the manifest); bad input is
a short 4xx."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import ApiStack
from tests.api.test_end_to_end import until_done
from tests.orchestrator.provenance.image_set import decoded, telegram_photo

PROMPT = "a lighthouse keeper's secret garden"


@pytest.fixture
def api_overrides() -> dict[str, Any]:
    return {"provenance_include_prompt": True}  # the manifest carries it; the answer never


async def made_image(api: ApiStack) -> tuple[str, bytes]:
    invoice = await api.http.post("/api/v1/invoice", json={"prompt": PROMPT})
    invoice_id = invoice.json()["invoice_id"]
    assert (await api.http.post(f"/api/v1/dev/pay/{invoice_id}")).status_code == 200
    code, done = await until_done(api, invoice_id)
    assert (code, done["status"]) == (200, "completed")
    fetched = await api.http.get(done["images"][0]["url"])
    assert fetched.status_code == 200
    return invoice_id, fetched.content


async def verify(api: ApiStack, image: bytes) -> httpx.Response:
    return await api.http.post("/api/v1/verify", json={"image": base64.b64encode(image).decode()})


def assert_private(response: httpx.Response, invoice_id: str) -> None:
    assert PROMPT not in response.text
    assert "lighthouse" not in response.text
    assert invoice_id not in response.text


async def test_the_original_is_recognised_with_its_credentials(api: ApiStack) -> None:
    invoice_id, original = await made_image(api)
    assert PROMPT.encode() in original  # signed into the manifest (PROVENANCE_INCLUDE_PROMPT)
    response = await verify(api, original)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["made_here"] is True
    mark = answer["watermark"]
    assert mark["found"] is True
    assert mark["confidence"] > 0.9
    assert (mark["kind"], mark["provider"]) == ("generate", "placeholder")
    assert mark["created_at"].endswith("Z")
    assert answer["manifest"]["valid"] is True
    assert answer["manifest"]["provider"] == "placeholder"
    assert_private(response, invoice_id)


async def test_a_photo_reencoded_like_telegram_is_recognised(api: ApiStack) -> None:
    invoice_id, original = await made_image(api)
    received = telegram_photo(decoded(original), quality=82)
    response = await verify(api, received)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["made_here"] is True
    assert answer["watermark"]["found"] is True
    assert answer["watermark"]["provider"] == "placeholder"
    assert answer["manifest"] is None  # re-encoding drops the metadata
    assert_private(response, invoice_id)


async def test_an_unmarked_image_is_not_claimed(api: ApiStack) -> None:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(out, "JPEG", quality=85)
    response = await verify(api, out.getvalue())
    assert response.status_code == 200, response.text
    assert response.json() == {
        "made_here": False,
        "watermark": {
            "found": False,
            "confidence": None,
            "kind": None,
            "created_at": None,
            "model": None,
            "provider": None,
        },
        "manifest": None,
    }


async def test_bad_input_is_a_short_refusal(api: ApiStack) -> None:
    async def refused(body: dict[str, Any], status: int, error: str) -> None:
        response = await api.http.post("/api/v1/verify", json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"] == error

    await refused({"image": "@@@"}, 400, "invalid_image")
    await refused({"image": base64.b64encode(b"not an image").decode()}, 400, "invalid_image")
    big = io.BytesIO()
    Image.new("1", (5000, 4000)).save(big, format="PNG")  # 20 MP, a few KB
    await refused({"image": base64.b64encode(big.getvalue()).decode()}, 413, "image_too_large")
    await refused({}, 400, "invalid_request")
    body = b'{"image": "' + b"A" * (9 * 1024 * 1024) + b'"}'
    response = await api.http.post(
        "/api/v1/verify", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
