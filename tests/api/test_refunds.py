"""A failed job's sats are the request's refund claim: paid out once to the client's
invoice of that amount, or spent on a new request; never revenue."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.fake import FakePaymentBackend
from tests.api.conftest import PRICE, ApiStack
from tests.api.test_end_to_end import order, until_done
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate, Fault


@pytest.fixture
def api_overrides(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> dict[str, Any]:
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})] * 4
    return hosted_settings(fake_replicate, fake_fal) | {"generate_provider": "replicate"}


def fake_of(api: ApiStack) -> FakePaymentBackend:
    assert api.runtime.payments is not None
    backend = api.runtime.payments.backend
    assert isinstance(backend, FakePaymentBackend)
    return backend


async def failed_request(api: ApiStack) -> str:
    invoice_id = str((await order(api))["invoice_id"])
    await api.http.post(f"/api/v1/dev/pay/{invoice_id}")
    code, answer = await until_done(api, invoice_id)
    assert code == 200
    assert answer["status"] == "failed"
    assert answer["reason"]
    assert answer["refund_sats"] == PRICE
    return invoice_id


async def test_failed_job_refund_is_paid_once(api: ApiStack) -> None:
    invoice_id = await failed_request(api)
    wallet = FakePaymentBackend()  # the client's own wallet
    wrong = await wallet.create_invoice(PRICE + 1, "refund", reference="r")
    answer = await api.http.post(
        "/api/v1/refund", json={"invoice_id": invoice_id, "payment_request": wrong.bolt11}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "wrong_amount",
        "message": f"the invoice must be for {PRICE} sats",
        "sats": PRICE,
    }
    mine = await wallet.create_invoice(PRICE, "refund", reference="r")
    body = {"invoice_id": invoice_id, "payment_request": mine.bolt11}
    answer = await api.http.post("/api/v1/refund", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["refunded_sats"] == PRICE
    assert fake_of(api).payouts == [(mine.bolt11, PRICE)]
    again = await api.http.post("/api/v1/refund", json=body)
    assert again.status_code == 409
    assert fake_of(api).payouts == [(mine.bolt11, PRICE)]
    assert await api.runtime.stats.counter(REVENUE_SATS) == 0  # a refund is no revenue
    job = await api.runtime.get_job(invoice_id)
    assert job is not None
    balance = await api.runtime.payments.balance(job.user_id)  # type: ignore[union-attr]
    assert (balance.available_sats, balance.reserved_sats) == (0, 0)


async def test_refund_claim_spent_on_a_new_request(api: ApiStack) -> None:
    invoice_id = await failed_request(api)
    spent = await order(api, credit_invoice_id=invoice_id)
    assert spent["status"] == "paid"
    assert spent["amount_sats"] == 0
    assert spent["payment_request"] is None
    _code, answer = await until_done(api, spent["invoice_id"])
    assert answer["status"] == "failed"  # the provider still fails: the claim is back
    assert answer["refund_sats"] == PRICE
    assert await api.runtime.stats.counter(REVENUE_SATS) == 0
