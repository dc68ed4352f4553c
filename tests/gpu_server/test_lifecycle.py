"""Start-up as the operator sees it: alive before ready, and a model that cannot load."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from gpu_server.app import create_app
from orchestrator.serving.server import serve_in_background
from tests.gpu_server.support import TinyModels, auth, in_process_config


async def test_a_model_that_cannot_load_is_reported(
    tiny_models: TinyModels, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    reasons: list[str] = []
    config = in_process_config(tiny_models, generate_model=str(tmp_path / "empty"))
    app = create_app(config, on_fatal=reasons.append)
    async with serve_in_background(app) as url, httpx.AsyncClient(base_url=url) as http:
        for _ in range(200):
            if reasons:
                break
            await asyncio.sleep(0.05)
        health = await http.get("/health")
        ready = await http.get("/ready")
        work = await http.post("/v1/generate", json={"prompt": "a cat"}, headers=auth())

    assert reasons
    assert health.status_code == 500
    assert health.json()["error"] == reasons[0]
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    assert work.status_code == 503
    assert int(work.headers["retry-after"]) >= 1
