"""The HTTP API over HTTP with the fake backend, on memory and on Redis: invoice, 402,
paid, 202, 200, the image under its signed link (403 tampered or expired), revenue."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from PIL import Image

from orchestrator.stats.counters import REVENUE_SATS
from tests.api.conftest import PRICE, ApiStack


async def order(api: ApiStack, **body: Any) -> dict[str, Any]:
    response = await api.http.post("/api/v1/invoice", json={"prompt": "a red fox", **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def until_done(api: ApiStack, invoice_id: str) -> tuple[int, dict[str, Any]]:
    for _ in range(20):
        response = await api.http.get(f"/api/v1/image/{invoice_id}", params={"wait": 10})
        if response.status_code not in {202, 402}:
            return response.status_code, response.json()
    raise AssertionError("the job never finished")


async def test_invoice_paid_job_runs_and_image_is_served_by_signed_link(api: ApiStack) -> None:
    invoice = await order(api)
    assert invoice["status"] == "pending"
    assert invoice["amount_sats"] == PRICE
    assert invoice["payment_request"].startswith("lnbcrt1u")
    invoice_id = invoice["invoice_id"]

    unpaid = await api.http.get(f"/api/v1/image/{invoice_id}")
    assert unpaid.status_code == 402
    assert unpaid.json()["payment_request"] == invoice["payment_request"]
    status = await api.http.post("/api/v1/payment/status", json={"invoice_id": invoice_id})
    assert status.json() == {"invoice_id": invoice_id, "status": "pending"}

    paid = await api.http.post(f"/api/v1/dev/pay/{invoice_id}")
    assert paid.status_code == 200
    status = await api.http.post("/api/v1/payment/status", json={"invoice_id": invoice_id})
    assert status.json()["status"] == "paid"

    code, done = await until_done(api, invoice_id)
    assert code == 200
    assert done["status"] == "completed"
    (image,) = done["images"]
    assert image["content_type"] == "image/png"
    fetched = await api.http.get(image["url"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(fetched.content)).size == (image["width"], image["height"])

    tampered = image["url"].replace("/0.png", "/1.png")
    assert (await api.http.get(tampered)).status_code == 403
    signature = image["url"].rsplit("sig=", 1)[1]
    forged = image["url"].replace(signature, "0" * len(signature))
    assert (await api.http.get(forged)).status_code == 403
    later = image["url"].replace("expires=", "expires=9")
    assert (await api.http.get(later)).status_code == 403
    key = image["url"].split("/api/v1/files/", 1)[1].split("?", 1)[0]
    expired = await api.runtime.frontend("api").store.signed_url(key, -1)  # type: ignore[attr-defined]
    answer = await api.http.get(expired)
    assert answer.status_code == 403
    assert answer.json()["error"] == "invalid_link"

    again = await api.http.get(f"/api/v1/image/{invoice_id}")  # idempotent: one job
    assert again.status_code == 200
    assert await api.runtime.stats.counter(REVENUE_SATS) == PRICE
    assert await api.runtime.queue.pending() == 0


async def test_events_stream_until_completed(api: ApiStack) -> None:
    invoice_id = (await order(api))["invoice_id"]
    seen: list[str] = []

    async def listen() -> None:
        async with api.http.stream("GET", f"/api/v1/image/{invoice_id}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    seen.append(line)

    listening = asyncio.create_task(listen())
    await asyncio.sleep(0.3)
    await api.http.post(f"/api/v1/dev/pay/{invoice_id}")
    await asyncio.wait_for(listening, 30)
    assert '"status": "pending"' in seen[0]
    assert '"status": "completed"' in seen[-1]


async def test_unknown_and_foreign_ids_are_404(api: ApiStack) -> None:
    for invoice_id in ["0" * 32, "not-an-id", "x" * 64]:
        response = await api.http.get(f"/api/v1/image/{invoice_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "unknown_invoice"
    status = await api.http.post("/api/v1/payment/status", json={"invoice_id": "0" * 32})
    assert status.status_code == 404


async def test_expired_invoice_is_410_and_nothing_runs(api: ApiStack) -> None:
    invoice = await order(api)
    job = await api.runtime.get_job(invoice["invoice_id"])
    assert job is not None
    assert job.invoice_id is not None
    api.runtime.payments.backend.mark_expired(job.invoice_id)  # type: ignore[union-attr, attr-defined]
    response = await api.http.get(f"/api/v1/image/{invoice['invoice_id']}")
    assert response.status_code == 410
    assert response.json()["error"] == "invoice_expired"
    assert await api.runtime.stats.counter(REVENUE_SATS) == 0
