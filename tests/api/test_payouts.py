"""Refund payouts whose outcome is not known at once: a payment still in flight, or one
whose answer was lost. The claim stays held (no second refund can take it; the reservation
sweep leaves it alone) until the backend says what became of it: captured when paid,
released when it never went out, so the client can claim it again."""

from __future__ import annotations

from typing import Any

import pytest
from bolt11 import decode

from providers.payments.base import PayoutStatus
from providers.payments.fake import FakePaymentBackend
from tests.api.conftest import PRICE, ApiStack
from tests.api.test_refunds import failed_request, fake_of
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate, Fault


@pytest.fixture
def api_overrides(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> dict[str, Any]:
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})] * 4
    return hosted_settings(fake_replicate, fake_fal) | {
        "generate_provider": "replicate",
        "reservation_sweep_grace_s": 0.01,  # the sweep looks at every held reservation
    }


async def claim(api: ApiStack, invoice_id: str) -> tuple[int, dict[str, Any], str]:
    bolt11 = (await FakePaymentBackend().create_invoice(PRICE, "refund", reference="r")).bolt11
    body = {"invoice_id": invoice_id, "payment_request": bolt11}
    answer = await api.http.post("/api/v1/refund", json=body)
    return answer.status_code, answer.json(), bolt11


async def held_and_available(api: ApiStack, invoice_id: str) -> tuple[int, int]:
    job = await api.runtime.get_job(invoice_id)
    assert job is not None
    assert api.runtime.payments is not None
    balance = await api.runtime.payments.balance(job.user_id)
    return balance.reserved_sats, balance.available_sats


@pytest.mark.parametrize("lost_answer", [False, True], ids=["in-flight", "answer-lost"])
async def test_pending_payout_is_held_until_paid(api: ApiStack, lost_answer: bool) -> None:
    invoice_id = await failed_request(api)
    fake_of(api).payout_fault = (lost_answer, PayoutStatus.PENDING)
    code, answer, bolt11 = await claim(api, invoice_id)
    assert (code, answer["status"], answer["refunded_sats"]) == (202, "pending", PRICE)
    assert await held_and_available(api, invoice_id) == (PRICE, 0)

    fake_of(api).payout_fault = None
    code, answer, _ = await claim(api, invoice_id)  # a second refund finds nothing to take
    assert (code, answer["error"]) == (409, "nothing_to_refund")
    payments = api.runtime.payments
    assert payments is not None
    assert await payments.sweep_reservations() == 0  # not the sweep's to give back
    assert await payments.payouts.reconcile(0) == 0  # still in flight: kept
    assert await held_and_available(api, invoice_id) == (PRICE, 0)

    fake_of(api).settle_payout(str(decode(bolt11).payment_hash), PayoutStatus.PAID)
    assert await payments.payouts.reconcile(0) == 1
    assert await held_and_available(api, invoice_id) == (0, 0)
    assert await payments.payouts.reconcile(0) == 0


async def test_payout_that_never_went_out_is_released_and_claimable_again(
    api: ApiStack,
) -> None:
    invoice_id = await failed_request(api)
    fake_of(api).payout_fault = (True, PayoutStatus.FAILED)  # the answer lost, nothing sent
    code, answer, bolt11 = await claim(api, invoice_id)
    assert (code, answer["status"]) == (202, "pending")
    payments = api.runtime.payments
    assert payments is not None
    assert await payments.payouts.reconcile(0) == 1
    assert await held_and_available(api, invoice_id) == (0, PRICE)

    fake_of(api).payout_fault = None
    reused = await api.http.post(
        "/api/v1/refund", json={"invoice_id": invoice_id, "payment_request": bolt11}
    )
    assert reused.status_code == 409  # an invoice is paid out at most once
    code, answer, fresh = await claim(api, invoice_id)
    assert (code, answer["status"], answer["refunded_sats"]) == (200, "paid", PRICE)
    assert fake_of(api).payouts == [(fresh, PRICE)]
    assert await held_and_available(api, invoice_id) == (0, 0)
