"""The HTTP API over HTTP with each real-protocol backend, state on Redis: the real LNbits
(FakeWallet; a second wallet of the instance pays the invoice) and the BTCPay Greenfield
fake (its payer settles the invoice and its signed webhooks reach the orchestrator).
Invoice, 402, paid, 202 or 200, the image bytes under the signed link, 403 once changed
or expired; a failed job's refund paid out through the backend, once."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from api.frontend import ApiFrontend
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.btcpay import WEBHOOK_PATH as BTCPAY_WEBHOOK_PATH
from providers.payments.fake import FakePaymentBackend
from tests.api.conftest import PRICE, ApiStack, api_settings
from tests.api.test_end_to_end import order
from tests.conftest import redis_settings
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate, Fault
from tests.providers.payments.harness import BTCPAY_KEY, BTCPAY_SECRET, BTCPAY_STORE
from tests.redis_server import RedisServer
from tests.services.btcpay_greenfield import FakeGreenfield
from tests.services.lnbits_server import LnbitsInstance


@pytest.fixture
async def greenfield() -> AsyncIterator[tuple[FakeGreenfield, str]]:
    server = FakeGreenfield(BTCPAY_KEY, BTCPAY_STORE)
    async with serve_in_background(server.app) as url:
        yield server, url


def lnbits_settings(lnbits: LnbitsInstance, *, payouts: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {
        "payments_backend": "lnbits",
        "lnbits_url": lnbits.url,
        "lnbits_invoice_key": lnbits.bot.invoice_key,
    }
    if payouts:
        values["lnbits_admin_key"] = lnbits.bot.admin_key
    return values


def btcpay_settings(url: str) -> dict[str, Any]:
    return {
        "payments_backend": "btcpay",
        "btcpay_url": url,
        "btcpay_api_key": BTCPAY_KEY,
        "btcpay_store_id": BTCPAY_STORE,
        "btcpay_webhook_secret": BTCPAY_SECRET,
    }


async def serving(
    tmp_path: Path, redis_server: RedisServer, **overrides: Any
) -> AsyncIterator[ApiStack]:
    settings = api_settings(tmp_path / "images", **redis_settings(redis_server), **overrides)
    app = create_app(settings, [ApiFrontend])
    async with serve_in_background(app) as url, httpx.AsyncClient(base_url=url, timeout=40) as http:
        yield ApiStack(app.state.runtime, url, http)


async def until_settled(api: ApiStack, invoice_id: str) -> tuple[int, dict[str, Any]]:
    """Long-poll until the answer is neither 402 nor 202; every code seen on the way."""
    for _ in range(20):
        response = await api.http.get(f"/api/v1/image/{invoice_id}", params={"wait": 10})
        if response.status_code not in {202, 402}:
            return response.status_code, response.json()
    raise AssertionError("the job never finished")


async def check_image_links(api: ApiStack, done: dict[str, Any]) -> None:
    assert done["status"] == "completed"
    (image,) = done["images"]
    fetched = await api.http.get(image["url"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == image["content_type"]
    assert Image.open(io.BytesIO(fetched.content)).size == (image["width"], image["height"])
    tampered = image["url"].replace("/0.", "/1.")
    assert (await api.http.get(tampered)).status_code == 403
    key = image["url"].split("/api/v1/files/", 1)[1].split("?", 1)[0]
    store = api.runtime.frontend("api").store  # type: ignore[attr-defined]
    expired = await api.http.get(await store.signed_url(key, -1))
    assert expired.status_code == 403


class TestLnbits:
    @pytest.fixture
    async def api(
        self, tmp_path: Path, redis_server: RedisServer, lnbits: LnbitsInstance
    ) -> AsyncIterator[ApiStack]:
        async for stack in serving(tmp_path, redis_server, **lnbits_settings(lnbits)):
            yield stack

    async def test_paid_by_another_wallet_then_image_served(
        self, api: ApiStack, lnbits: LnbitsInstance
    ) -> None:
        invoice = await order(api, prompt="an lnbits fox")
        assert invoice["amount_sats"] == PRICE
        invoice_id = invoice["invoice_id"]
        unpaid = await api.http.get(f"/api/v1/image/{invoice_id}")
        assert unpaid.status_code == 402

        paid = await lnbits.pay(invoice["payment_request"])  # an internal LNbits payment
        assert paid.status_code == 201, paid.text
        status = await api.http.post("/api/v1/payment/status", json={"invoice_id": invoice_id})
        assert status.json()["status"] == "paid"  # and the job is queued by this check
        seen = await api.http.get(f"/api/v1/image/{invoice_id}")
        assert seen.status_code in {200, 202}
        code, done = await until_settled(api, invoice_id)
        assert code == 200
        await check_image_links(api, done)
        assert await api.runtime.stats.counter(REVENUE_SATS) == PRICE


class TestLnbitsRefund:
    @pytest.fixture
    async def api(
        self,
        tmp_path: Path,
        redis_server: RedisServer,
        lnbits: LnbitsInstance,
        fake_replicate: FakeReplicate,
        fake_fal: FakeFal,
    ) -> AsyncIterator[ApiStack]:
        fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})] * 4
        hosted = hosted_settings(fake_replicate, fake_fal) | {"generate_provider": "replicate"}
        async for stack in serving(tmp_path, redis_server, **lnbits_settings(lnbits), **hosted):
            yield stack

    async def test_failed_job_refunded_through_lnbits_once(
        self, api: ApiStack, lnbits: LnbitsInstance
    ) -> None:
        invoice = await order(api, prompt="an lnbits fox that fails")
        assert (await lnbits.pay(invoice["payment_request"])).status_code == 201
        code, failed = await until_settled(api, invoice["invoice_id"])
        assert (code, failed["status"], failed["refund_sats"]) == (200, "failed", PRICE)

        before = await lnbits.balance_msat(lnbits.payer)
        mine = await lnbits.create_invoice(lnbits.payer, PRICE)  # the client's own invoice
        body = {"invoice_id": invoice["invoice_id"], "payment_request": mine["bolt11"]}
        answer = await api.http.post("/api/v1/refund", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["refunded_sats"] == PRICE
        assert (await lnbits.payment(lnbits.payer, mine["payment_hash"]))["paid"] is True
        assert await lnbits.balance_msat(lnbits.payer) == before + PRICE * 1000
        again = await api.http.post("/api/v1/refund", json=body)
        assert again.status_code == 409
        assert await lnbits.balance_msat(lnbits.payer) == before + PRICE * 1000
        assert await api.runtime.stats.counter(REVENUE_SATS) == 0


class TestBtcpay:
    @pytest.fixture
    async def api(
        self,
        tmp_path: Path,
        redis_server: RedisServer,
        greenfield: tuple[FakeGreenfield, str],
    ) -> AsyncIterator[ApiStack]:
        async for stack in serving(tmp_path, redis_server, **btcpay_settings(greenfield[1])):
            yield stack

    async def test_settled_webhook_then_image_served(
        self, api: ApiStack, greenfield: tuple[FakeGreenfield, str]
    ) -> None:
        server, _ = greenfield
        server.add_webhook(api.url + BTCPAY_WEBHOOK_PATH, BTCPAY_SECRET)
        invoice = await order(api, prompt="a btcpay fox")
        invoice_id = invoice["invoice_id"]
        (btcpay_id,) = server.invoices
        assert server.invoices[btcpay_id].bolt11 == invoice["payment_request"]
        assert (await api.http.get(f"/api/v1/image/{invoice_id}")).status_code == 402

        sent = await server.pay(btcpay_id)  # settles, and BTCPay posts its signed events
        assert {d.status_code for d in sent} == {200}
        seen = await api.http.get(f"/api/v1/image/{invoice_id}")
        assert seen.status_code in {200, 202}
        code, done = await until_settled(api, invoice_id)
        assert code == 200
        await check_image_links(api, done)
        settled = next(d for d in sent if d.event["type"] == "InvoiceSettled")
        assert (await server.redeliver(settled.id)).status_code == 200  # changes nothing
        assert await api.runtime.stats.counter(REVENUE_SATS) == PRICE


class TestBtcpayRefund:
    @pytest.fixture
    async def api(
        self,
        tmp_path: Path,
        redis_server: RedisServer,
        greenfield: tuple[FakeGreenfield, str],
        fake_replicate: FakeReplicate,
        fake_fal: FakeFal,
    ) -> AsyncIterator[ApiStack]:
        fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})] * 4
        hosted = hosted_settings(fake_replicate, fake_fal) | {"generate_provider": "replicate"}
        async for stack in serving(
            tmp_path, redis_server, **btcpay_settings(greenfield[1]), **hosted
        ):
            yield stack

    async def failed(self, api: ApiStack, server: FakeGreenfield) -> str:
        invoice = await order(api, prompt="a btcpay fox that fails")
        (btcpay_id,) = [i for i, v in server.invoices.items() if v.status == "New"]
        await server.pay(btcpay_id)
        code, failed = await until_settled(api, invoice["invoice_id"])
        assert (code, failed["status"], failed["refund_sats"]) == (200, "failed", PRICE)
        return str(invoice["invoice_id"])

    async def test_refund_paid_from_the_store_node_once(
        self, api: ApiStack, greenfield: tuple[FakeGreenfield, str]
    ) -> None:
        server, _ = greenfield
        invoice_id = await self.failed(api, server)
        wallet = FakePaymentBackend()  # the client's own wallet
        mine = await wallet.create_invoice(PRICE, "refund", reference="r")
        body = {"invoice_id": invoice_id, "payment_request": mine.bolt11}
        answer = await api.http.post("/api/v1/refund", json=body)
        assert answer.status_code == 200, answer.text
        assert [p["BOLT11"] for p in server.node.paid()] == [mine.bolt11]
        assert (await api.http.post("/api/v1/refund", json=body)).status_code == 409
        assert len(server.node.paid()) == 1

    async def test_refund_in_flight_is_held_then_settled_by_reconciliation(
        self, api: ApiStack, greenfield: tuple[FakeGreenfield, str]
    ) -> None:
        server, _ = greenfield
        invoice_id = await self.failed(api, server)
        server.node.outcome = "Pending"
        mine = await FakePaymentBackend().create_invoice(PRICE, "refund", reference="r")
        body = {"invoice_id": invoice_id, "payment_request": mine.bolt11}
        answer = await api.http.post("/api/v1/refund", json=body)
        assert (answer.status_code, answer.json()["status"]) == (202, "pending")
        payments = api.runtime.payments
        assert payments is not None
        assert await payments.payouts.reconcile(0) == 0
        server.node.settle(mine.id, "Complete")  # the fake's invoice id is its payment hash
        assert await payments.payouts.reconcile(0) == 1
        job = await api.runtime.get_job(invoice_id)
        assert job is not None
        balance = await payments.balance(job.user_id)
        assert (balance.available_sats, balance.reserved_sats) == (0, 0)
