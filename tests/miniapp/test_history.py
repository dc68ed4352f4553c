"""The balance view's history of top-ups and charges over the Mini App's JSON API."""

from __future__ import annotations

import time

import pytest

from providers.payments.fake import FakePaymentBackend
from tests.miniapp.conftest import AppStack

ADA = 1001
BOB = 1002
PRICE = 10


@pytest.mark.parametrize(
    "app_overrides", [{"payments_backend": "fake", "price_generate_sats": PRICE}]
)
async def test_a_paid_top_up_and_a_charge_newest_first(app_stack: AppStack) -> None:
    payments = app_stack.runtime.payments
    assert payments is not None
    assert isinstance(payments.backend, FakePaymentBackend)
    auth = app_stack.auth(ADA)
    assert (await app_stack.http.get("/app/api/history", headers=auth)).json() == {
        "payments": True,
        "events": [],
    }
    await app_stack.http.post("/app/api/buy", json={"sats": 500}, headers=auth)
    (pending,) = await payments.ledger.pending_of(ADA)
    unpaid = (await app_stack.http.get("/app/api/history", headers=auth)).json()
    assert unpaid["events"] == []  # an invoice is not money until it is paid
    webhook = payments.backend.mark_paid(pending.invoice_id)
    paid = await app_stack.http.post(
        "/payments/fake/webhook", content=webhook.body, headers=webhook.headers
    )
    assert paid.status_code == 200
    await app_stack.runtime.wait_idle()
    await app_stack.chat(ADA, "/generate a red fox")
    events = (await app_stack.http.get("/app/api/history", headers=auth)).json()["events"]
    assert [(e["kind"], e["sats"], e["images"]) for e in events] == [
        ("charge", -PRICE, 1),
        ("topup", 500, 0),
    ]
    assert all(time.time() - 60 < e["at"] <= time.time() + 5 for e in events)
    latest = await app_stack.http.get("/app/api/history?limit=1", headers=auth)
    assert len(latest.json()["events"]) == 1
    others = await app_stack.http.get("/app/api/history", headers=app_stack.auth(BOB))
    assert others.json()["events"] == []


@pytest.mark.parametrize(
    "app_overrides", [{"payments_backend": "fake", "price_generate_sats": PRICE}]
)
async def test_history_is_refused_without_init_data_or_with_a_bad_limit(
    app_stack: AppStack,
) -> None:
    for headers in ({}, {"Authorization": "tma a=b"}):
        refused = await app_stack.http.get("/app/api/history", headers=headers)
        assert refused.status_code == 401
    for limit in ("0", "51", "x"):
        bad = await app_stack.http.get(
            f"/app/api/history?limit={limit}", headers=app_stack.auth(ADA)
        )
        assert bad.status_code == 422, limit


async def test_without_payments_there_is_no_history(app_stack: AppStack) -> None:
    answer = await app_stack.http.get("/app/api/history", headers=app_stack.auth(ADA))
    assert answer.json() == {"payments": False, "events": []}
