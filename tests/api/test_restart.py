"""The HTTP API's processes restarted mid-flow, state on a real Redis, payments through the
BTCPay Greenfield fake: nothing is lost, nothing is charged twice.

A ``fulmine serve`` takes the orders and a ``fulmine worker`` runs the jobs. One request
fails at the provider after payment (its sats become a refund claim); the worker is
stopped; a second request is paid and queued; then the ``serve`` process is killed
(SIGKILL, a crash). A new ``fulmine serve --with-worker`` starts: the paid request's job
runs and its image is served, the refund claim is still there and is paid out once, and
the ledger shows each request charged once.
"""

from __future__ import annotations

import io
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from orchestrator.serving.server import serve_in_background
from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.fake import FakePaymentBackend
from state.backend import open_backend
from tests.api.processes import api_process
from tests.fakes.fixtures import FAST_RETRIES, REPLICATE_TOKEN
from tests.fakes.replicate import FakeReplicate, Fault
from tests.providers.payments.harness import BTCPAY_KEY, BTCPAY_SECRET, BTCPAY_STORE
from tests.redis_server import RedisServer
from tests.services.btcpay_greenfield import FakeGreenfield

PRICE = 100


@pytest.fixture
async def greenfield() -> AsyncIterator[tuple[FakeGreenfield, str]]:
    server = FakeGreenfield(BTCPAY_KEY, BTCPAY_STORE)
    async with serve_in_background(server.app) as url:
        yield server, url


def settings_env(
    redis_url: str, prefix: str, btcpay_url: str, replicate_url: str
) -> dict[str, str]:
    values: dict[str, str] = {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "PAYMENTS_BACKEND": "btcpay",
        "BTCPAY_URL": btcpay_url,
        "BTCPAY_API_KEY": BTCPAY_KEY,
        "BTCPAY_STORE_ID": BTCPAY_STORE,
        "BTCPAY_WEBHOOK_SECRET": BTCPAY_SECRET,
        "PRICE_GENERATE_SATS": str(PRICE),
        "GENERATE_PROVIDER": "replicate",
        "REPLICATE_API_TOKEN": REPLICATE_TOKEN,
        "REPLICATE_BASE_URL": replicate_url,
        "JOB_MAX_ATTEMPTS": "1",
        **{key.upper(): str(value) for key, value in FAST_RETRIES.items()},
    }
    return values


async def ordered_and_paid(
    http: httpx.AsyncClient, url: str, server: FakeGreenfield, prompt: str
) -> str:
    """An order, its invoice paid at BTCPay, and the payment seen (the job queued)."""
    before = set(server.invoices)
    answer = await http.post(f"{url}/api/v1/invoice", json={"prompt": prompt})
    assert answer.status_code == 200, answer.text
    (btcpay_id,) = set(server.invoices) - before
    await server.pay(btcpay_id)
    invoice_id = str(answer.json()["invoice_id"])
    status = await http.post(f"{url}/api/v1/payment/status", json={"invoice_id": invoice_id})
    assert status.json()["status"] == "paid"
    return invoice_id


async def settled(http: httpx.AsyncClient, url: str, invoice_id: str) -> dict[str, Any]:
    for _ in range(20):
        answer = await http.get(f"{url}/api/v1/image/{invoice_id}", params={"wait": 10})
        if answer.status_code not in {202, 402}:
            assert answer.status_code == 200, answer.text
            return dict(answer.json())
    raise AssertionError("the job never finished")


async def test_paid_request_and_refund_claim_survive_a_crash(
    tmp_path: Path,
    redis_server: RedisServer,
    greenfield: tuple[FakeGreenfield, str],
    fake_replicate: FakeReplicate,
) -> None:
    server, btcpay_url = greenfield
    prefix = f"restart-{tmp_path.name[-12:]}:"
    env = settings_env(redis_server.url, prefix, btcpay_url, fake_replicate.base_url)
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})] * 3
    serve = await api_process("serve-1", tmp_path, "serve", **env)
    worker = None
    try:
        worker = await api_process("worker-1", tmp_path, "worker", **env)
        async with httpx.AsyncClient(timeout=40) as http:
            failed_id = await ordered_and_paid(http, serve.url, server, "a fox that fails")
            failed = await settled(http, serve.url, failed_id)
            assert (failed["status"], failed["refund_sats"]) == ("failed", PRICE)
            await worker.stop()
            fake_replicate.create_faults = []  # the provider works again

            paid_id = await ordered_and_paid(http, serve.url, server, "a fox after the crash")
            queued = await http.get(f"{serve.url}/api/v1/image/{paid_id}")
            assert (queued.status_code, queued.json()["status"]) == (202, "queued")
            serve.signal(signal.SIGKILL)
            await serve.wait()

            serve = await api_process("serve-2", tmp_path, "serve", "--with-worker", **env)
            done = await settled(http, serve.url, paid_id)
            assert done["status"] == "completed"
            (image,) = done["images"]
            fetched = await http.get(serve.url + image["url"])  # relative: no PUBLIC_URL
            assert fetched.status_code == 200
            assert Image.open(io.BytesIO(fetched.content)).size == (image["width"], image["height"])

            claim = await settled(http, serve.url, failed_id)
            assert (claim["status"], claim["refund_sats"]) == ("failed", PRICE)
            mine = await FakePaymentBackend().create_invoice(PRICE, "refund", reference="r")
            body = {"invoice_id": failed_id, "payment_request": mine.bolt11}
            refund = await http.post(f"{serve.url}/api/v1/refund", json=body)
            assert refund.status_code == 200, refund.text
            assert (await http.post(f"{serve.url}/api/v1/refund", json=body)).status_code == 409
            assert [p["BOLT11"] for p in server.node.paid()] == [mine.bolt11]
    finally:
        if worker is not None:
            await worker.stop()
        await serve.stop()

    state = open_backend(redis_server.url, key_prefix=prefix)
    await state.start()
    try:
        assert await state.stats.counter(REVENUE_SATS) == PRICE  # the delivered job, once
        held = await state.ledger.held_reservations(0)
        assert held == []
    finally:
        await state.stop()
    assert sum(1 for invoice in server.invoices.values() if invoice.status == "Settled") == 2
