"""L402 over HTTP (a token runs one job; forged, foreign or replayed tokens are 401) and
claims on requests that do not exist."""

from __future__ import annotations

import re

from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.fake import FakePaymentBackend
from tests.api.conftest import PRICE, ApiStack
from tests.api.test_end_to_end import until_done


async def test_claim_of_an_unknown_request_is_404(api: ApiStack) -> None:
    wallet = FakePaymentBackend()
    bolt11 = (await wallet.create_invoice(PRICE, "r", reference="r")).bolt11
    body = {"invoice_id": "0" * 32, "payment_request": bolt11}
    assert (await api.http.post("/api/v1/refund", json=body)).status_code == 404
    spend = await api.http.post(
        "/api/v1/invoice", json={"prompt": "a fox", "credit_invoice_id": "0" * 32}
    )
    assert spend.status_code == 404


async def test_l402_round_trip_once_per_token(api: ApiStack) -> None:
    body = {"prompt": "a lighthouse at dawn"}
    challenge = await api.http.post("/api/v1/generate", json=body)
    assert challenge.status_code == 402
    header = challenge.headers["www-authenticate"]
    match = re.fullmatch(r'L402 macaroon="([^"]+)", invoice="([^"]+)"', header)
    assert match is not None
    macaroon, bolt11 = match.groups()
    assert bolt11 == challenge.json()["invoice"]
    unpaid = await api.http.post(
        "/api/v1/generate", json=body, headers={"Authorization": f"L402 {macaroon}:{'0' * 64}"}
    )
    assert unpaid.status_code == 401
    assert unpaid.json()["error"] == "invalid_token"

    # The payer learns the preimage by paying (the fake backend's payer).
    paid = await api.http.post(f"/api/v1/dev/pay/{challenge.json()['invoice_id']}")
    preimage = paid.json()["preimage"]
    token = {"Authorization": f"L402 {macaroon}:{preimage}"}
    other = await api.http.post("/api/v1/generate", json={"prompt": "another"}, headers=token)
    assert other.status_code == 401  # minted for another request
    forged = macaroon[:-6] + ("A" if macaroon[-6] != "A" else "B") + macaroon[-5:]
    bad = await api.http.post(
        "/api/v1/generate", json=body, headers={"Authorization": f"L402 {forged}:{preimage}"}
    )
    assert bad.status_code == 401

    first = await api.http.post("/api/v1/generate", json=body, headers=token)
    assert first.status_code in {200, 202}, first.text
    invoice_id = first.json()["invoice_id"]
    _code, done = await until_done(api, invoice_id)
    assert done["status"] == "completed"
    replay = await api.http.post("/api/v1/generate", json=body, headers=token)
    assert replay.status_code == 401
    assert replay.json() == {
        "error": "token_used",
        "message": "this token was used",
        "invoice_id": invoice_id,
    }
    assert await api.runtime.stats.counter(REVENUE_SATS) == PRICE


async def test_l402_backend_outage_leaves_the_token_good(api: ApiStack) -> None:
    body = {"prompt": "a lighthouse in the fog"}
    challenge = await api.http.post("/api/v1/generate", json=body)
    assert challenge.status_code == 402
    macaroon = challenge.json()["macaroon"]
    backend = api.runtime.payments.backend  # type: ignore[union-attr]
    assert isinstance(backend, FakePaymentBackend)
    job = await api.runtime.get_job(challenge.json()["invoice_id"])
    assert job is not None
    assert job.invoice_id is not None
    backend.mark_paid(job.invoice_id)  # paid; its webhook never arrives
    token = {"Authorization": f"L402 {macaroon}:{backend.preimage(job.invoice_id)}"}

    backend.simulate_outage()
    down = await api.http.post("/api/v1/generate", json=body, headers=token)
    assert down.status_code == 503
    assert down.json()["error"] == "payments_unavailable"
    backend.simulate_outage(False)
    first = await api.http.post("/api/v1/generate", json=body, headers=token)
    assert first.status_code in {200, 202}, first.text
    _code, done = await until_done(api, job.id)
    assert done["status"] == "completed"
    replay = await api.http.post("/api/v1/generate", json=body, headers=token)
    assert replay.json()["error"] == "token_used"
