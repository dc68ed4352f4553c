"""API invoices are priced from the model catalog: each model its own price; an unknown
model (or one of another kind) is a 400 naming the models there are, and no invoice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.frontend import ApiFrontend
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings
from tests.api.conftest import ApiStack
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate


@pytest.fixture
async def api(
    tmp_path: Path, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> AsyncIterator[ApiStack]:
    """No price settings: each model has the catalog's own price."""
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "payments_backend": "fake",
        "image_store_path": str(tmp_path / "images"),
        **hosted_settings(fake_replicate, fake_fal),
    }
    app = create_app(Settings(_env_file=None, **values), [ApiFrontend])
    async with serve_in_background(app) as url, httpx.AsyncClient(base_url=url, timeout=40) as http:
        yield ApiStack(app.state.runtime, url, http)


async def test_each_model_is_priced_from_the_catalog(api: ApiStack) -> None:
    catalog = api.runtime.catalog
    generate = list(catalog.visible("generate"))
    assert len({entry.price_sats for entry in generate}) > 1  # the prices differ per model
    for entry in generate:
        answer = await api.http.post(
            "/api/v1/invoice", json={"prompt": "a red fox", "model": entry.name}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["amount_sats"] == entry.price_sats
        job = await api.runtime.get_job(answer.json()["invoice_id"])
        assert job is not None
        assert (job.model, job.price_sats_each) == (entry.name, entry.price_sats)


async def test_unknown_or_other_kind_model_is_400_listing_the_models(api: ApiStack) -> None:
    names = [entry.name for entry in api.runtime.catalog.visible("generate")]
    edit_model = api.runtime.catalog.visible("edit")[0].name
    for model in ("dall-e-9", edit_model):
        answer = await api.http.post("/api/v1/invoice", json={"prompt": "a fox", "model": model})
        assert answer.status_code == 400
        body = answer.json()
        assert body["error"] == "unknown_model"
        assert body["models"] == names
    assert await api.runtime.queue.pending() == 0
