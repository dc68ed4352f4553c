"""The real ``fulmine gpu-server`` over HTTP: generate, edit, LoRA, batching, auth, ops."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.gpu_server.support import (
    TinyModels,
    auth,
    in_process_config,
    in_process_server,
    metric,
    pixels,
    png_base64,
)


async def _generate(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await http.post("/v1/generate", json={"prompt": "a red fox", **body}, headers=auth())
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _metrics(http: httpx.AsyncClient) -> str:
    return (await http.get("/metrics")).text


async def test_generate_makes_reproducible_png(gpu_http: httpx.AsyncClient) -> None:
    first = await _generate(gpu_http, seed=7, num_images=2)
    again = await _generate(gpu_http, seed=7, num_images=2)
    other = await _generate(gpu_http, seed=8)

    assert [image["seed"] for image in first["images"]] == [7, 8]
    assert (first["width"], first["height"], first["steps"]) == (32, 32, 2)
    image = first["images"][0]
    assert image["content_type"] == "image/png"
    with Image.open(io.BytesIO(base64.b64decode(image["data"]))) as decoded:
        assert (decoded.format, decoded.size) == ("PNG", (32, 32))
    assert np.array_equal(pixels(first["images"][0]["data"]), pixels(again["images"][0]["data"]))
    # Image 1 of seed 7 is seed 8's image: per-image seeds, whatever the request.
    assert (
        np.abs(pixels(first["images"][1]["data"]) - pixels(other["images"][0]["data"])).max() <= 1
    )
    assert not np.array_equal(
        pixels(first["images"][0]["data"]), pixels(other["images"][0]["data"])
    )


async def test_generate_sizes_formats_and_aspect(gpu_http: httpx.AsyncClient) -> None:
    wide = await _generate(gpu_http, aspect_ratio="16:9", output_format="webp", seed=1)
    sized = await _generate(gpu_http, width=48, height=16, output_format="jpeg", seed=1)

    assert wide["width"] > wide["height"]
    assert wide["images"][0]["content_type"] == "image/webp"
    assert pixels(wide["images"][0]["data"]).shape[:2] == (wide["height"], wide["width"])
    assert sized["images"][0]["content_type"] == "image/jpeg"
    assert pixels(sized["images"][0]["data"]).shape[:2] == (16, 48)


async def test_bad_requests_are_422(gpu_http: httpx.AsyncClient) -> None:
    for body in (
        {"prompt": ""},
        {"prompt": "a cat", "width": 33},  # not a multiple of the model's patch
        {"prompt": "a cat", "num_images": 99},
        {"prompt": "a cat", "lora": {"name": "../etc/passwd"}},
        {"prompt": "a cat", "unknown": 1},
    ):
        response = await gpu_http.post("/v1/generate", json=body, headers=auth())
        assert response.status_code == 422, body
    response = await gpu_http.post(
        "/v1/edit", json={"prompt": "blue", "image": "bm90IGFuIGltYWdl"}, headers=auth()
    )
    assert response.status_code == 422
    assert "input image" in response.json()["detail"]
    # Bounded from the header: more than 16 MP is refused before a pixel is decoded, and
    # only JPEG, PNG and WebP are read.
    huge = io.BytesIO()
    Image.new("L", (4097, 4096)).save(huge, format="PNG")
    tiff = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(tiff, format="TIFF")
    for data, reason in ((huge, "pixels"), (tiff, "not a readable image")):
        image = base64.b64encode(data.getvalue()).decode("ascii")
        response = await gpu_http.post(
            "/v1/edit", json={"prompt": "blue", "image": image}, headers=auth()
        )
        assert response.status_code == 422
        assert reason in response.json()["detail"]


async def test_edit_follows_the_input_aspect_and_prompt(gpu_http: httpx.AsyncClient) -> None:
    body = {"image": png_base64((48, 32), "red"), "seed": 3}
    blue = await gpu_http.post("/v1/edit", json={**body, "prompt": "make it blue"}, headers=auth())
    again = await gpu_http.post("/v1/edit", json={**body, "prompt": "make it blue"}, headers=auth())
    night = await gpu_http.post(
        "/v1/edit", json={**body, "prompt": "turn into night"}, headers=auth()
    )
    assert blue.status_code == again.status_code == night.status_code == 200, blue.text

    answer = blue.json()
    assert answer["width"] > answer["height"]  # 3:2 in, about 3:2 out
    assert answer["steps"] == 2
    edited = pixels(answer["images"][0]["data"])
    assert edited.shape[:2] == (answer["height"], answer["width"])
    assert np.array_equal(edited, pixels(again.json()["images"][0]["data"]))
    assert not np.array_equal(edited, pixels(night.json()["images"][0]["data"]))


@pytest.fixture
async def fresh_http(tiny_models: TinyModels) -> AsyncIterator[httpx.AsyncClient]:
    """A server of its own (no adapter loaded yet), keeping at most two adapters."""
    config = in_process_config(tiny_models, lora_cache=2, batch_window_ms=0.0)
    async with in_process_server(config) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def test_lora_switch_and_lru(fresh_http: httpx.AsyncClient) -> None:
    """Adapters load on first use, switch per request, and the least recently used one is
    dropped past GPU_LORA_CACHE=2; the base model is never reloaded."""
    gpu_http = fresh_http
    loads = metric(await _metrics(gpu_http), "gpu_server_lora_loads_total", model="generate")
    assert loads == 0

    async def image(lora: str | None, scale: float = 1.0) -> Any:
        body: dict[str, Any] = {"seed": 5}
        if lora:
            body["lora"] = {"name": lora, "scale": scale}
        answer = await _generate(gpu_http, **body)
        assert answer["lora"] == (body.get("lora"))
        return pixels(answer["images"][0]["data"])

    base = await image(None)
    ink = await image("ink")
    neon = await image("neon")
    assert not np.array_equal(base, ink)
    assert not np.array_equal(ink, neon)
    assert np.array_equal(await image(None), base)  # LoRA off again
    assert np.array_equal(await image("ink"), ink)  # still loaded: no new load
    assert not np.array_equal(await image("ink", 0.3), ink)
    text = await _metrics(gpu_http)
    assert metric(text, "gpu_server_lora_loads_total", model="generate") == loads + 2

    await image("chrome")  # the third adapter evicts neon (ink was used more recently)
    assert np.array_equal(await image("neon"), neon)  # loaded again, same result
    text = await _metrics(gpu_http)
    assert metric(text, "gpu_server_lora_loads_total", model="generate") == loads + 4

    response = await gpu_http.post(
        "/v1/generate", json={"prompt": "a cat", "lora": {"name": "nope"}}, headers=auth()
    )
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


async def test_concurrent_requests_share_a_batch(gpu_http: httpx.AsyncClient) -> None:
    before = metric(await _metrics(gpu_http), "gpu_server_batch_size_count", model="generate")
    prompts = ["a red fox", "a cat", "a boat at dusk", "a dog"]
    together = await asyncio.gather(
        *(_generate(gpu_http, prompt=p, seed=20 + i) for i, p in enumerate(prompts))
    )
    batches = (
        metric(await _metrics(gpu_http), "gpu_server_batch_size_count", model="generate") - before
    )

    assert batches < len(prompts)
    assert max(answer["batch_images"] for answer in together) > 1
    for index, (prompt, answer) in enumerate(zip(prompts, together, strict=True)):
        alone = await _generate(gpu_http, prompt=prompt, seed=20 + index)
        assert alone["batch_images"] == 1
        difference = pixels(answer["images"][0]["data"]) - pixels(alone["images"][0]["data"])
        assert np.abs(difference).max() <= 1, prompt
    first = pixels(together[0]["images"][0]["data"])
    assert not any(np.array_equal(first, pixels(a["images"][0]["data"])) for a in together[1:])


async def test_auth_is_required_for_work_only(gpu_http: httpx.AsyncClient) -> None:
    body = {"prompt": "a cat"}
    missing = await gpu_http.post("/v1/generate", json=body)
    wrong = await gpu_http.post(
        "/v1/edit",
        json={**body, "image": png_base64((8, 8), "red")},
        headers={"Authorization": "Bearer not-the-token-at-all"},
    )
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    for path in ("/health", "/ready", "/metrics"):
        assert (await gpu_http.get(path)).status_code == 200


async def test_health_ready_metrics_and_openapi(gpu_http: httpx.AsyncClient) -> None:
    ready = (await gpu_http.get("/ready")).json()
    assert ready == {
        "ready": True,
        "queue_depth": 0,
        "running": 0,
        "models": ["edit", "generate"],
        "error": None,
    }
    await _generate(gpu_http, seed=1)
    text = await _metrics(gpu_http)
    for name in ("gpu_server_queue_depth", "gpu_server_running_images"):
        assert f"# TYPE {name} gauge" in text
    assert metric(text, "gpu_server_step_seconds_count", model="generate") >= 1
    assert metric(text, "gpu_server_requests_total", endpoint="generate", status="200") >= 1
    assert "gpu_server_gpu_memory_bytes" in text

    spec = (await gpu_http.get("/openapi.json")).json()
    assert {"/v1/generate", "/v1/edit", "/health", "/ready", "/metrics"} <= set(spec["paths"])
    generate = spec["paths"]["/v1/generate"]["post"]
    assert generate["security"] == [{"HTTPBearer": []}]
    assert {"200", "401", "404", "422", "503"} <= set(generate["responses"])
