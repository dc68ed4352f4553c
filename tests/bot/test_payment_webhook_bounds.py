"""What anonymous POSTs to ``/payments/lnbits/webhook`` can make the bot do to LNbits. The
real LNbits (FakeWallet) sits behind a recording proxy, so every call the bot makes with
its key is counted: webhooks naming payment hashes we never issued cost none, and those
about our invoices (a genuine webhook replayed) are checked at a bounded rate."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestrator.serving.server import serve_in_background
from providers.payments.lnbits import WEBHOOK_PATH
from tests.bot.test_payments_backends import _request_and_invoice, _results
from tests.conftest import Stack, redis_settings
from tests.redis_server import RedisServer
from tests.services.lnbits_server import LnbitsInstance
from tests.services.recording_proxy import RecordingProxy
from tests.services.webhook_recorder import WebhookRecorder

PRICE = 21
PAYMENTS_API = "/api/v1/payments/"


@pytest.fixture
async def proxy(lnbits: LnbitsInstance) -> AsyncIterator[RecordingProxy]:
    built = RecordingProxy(lnbits.url)
    async with serve_in_background(built.app) as url:
        built.url = url
        yield built


@pytest.fixture
async def sink() -> AsyncIterator[WebhookRecorder]:
    """Where LNbits posts its webhooks; the test hands them on."""
    built = WebhookRecorder()
    async with serve_in_background(built.app) as url:
        built.url = url
        yield built


@pytest.fixture
def state_backend(redis_server: RedisServer) -> dict[str, Any]:
    """Real money keeps its balances on Redis."""
    return redis_settings(redis_server)


@pytest.fixture
def checks_per_s() -> float:
    return 10.0


@pytest.fixture
def settings_overrides(
    lnbits: LnbitsInstance,
    proxy: RecordingProxy,
    sink: WebhookRecorder,
    checks_per_s: float,
) -> dict[str, Any]:
    return {
        "payments_backend": "lnbits",
        "price_generate_sats": PRICE,
        "lnbits_url": proxy.url,
        "lnbits_invoice_key": lnbits.bot.invoice_key,
        "public_url": sink.url,
        "payment_webhook_checks_per_s": checks_per_s,
    }


def _lookups(proxy: RecordingProxy) -> int:
    """The bot's GETs of single payments: what checking a webhook costs LNbits."""
    return len([r for r in proxy.log.to("GET") if r.path.startswith(PAYMENTS_API)])


def _forged(payment_hash: str, double_encoded: bool) -> bytes:
    payment = {"payment_hash": payment_hash, "amount": 21_000, "status": "success"}
    body = json.dumps(payment)
    return (json.dumps(body) if double_encoded else body).encode()  # LNbits 1.x: a string


async def _post(stack: Stack, body: bytes, headers: dict[str, str] | None = None) -> int:
    headers = headers or {"Content-Type": "application/json"}
    response = await stack.http.post(stack.url + WEBHOOK_PATH, content=body, headers=headers)
    return response.status_code


async def test_random_payment_hashes_cost_no_call_to_lnbits(
    stack: Stack, proxy: RecordingProxy, lnbits: LnbitsInstance, sink: WebhookRecorder
) -> None:
    answers = [await _post(stack, _forged(os.urandom(32).hex(), i % 2 == 0)) for i in range(50)]
    assert _lookups(proxy) == 0
    assert set(answers) == {200}  # as for any invoice that is not ours: nothing to do

    # The proxy is on the way: a genuine payment is still checked with LNbits and runs.
    bolt11 = await _request_and_invoice(stack, "a proxied fox")
    assert (await lnbits.pay(bolt11)).status_code == 201
    (delivery,) = await sink.wait_for(WEBHOOK_PATH)
    assert await _post(stack, delivery.body, delivery.headers) == 200
    await stack.runtime.wait_idle()
    assert _results(stack) == ["a proxied fox"]
    assert _lookups(proxy) >= 1


@pytest.mark.parametrize("checks_per_s", [1.0])
async def test_replays_of_a_genuine_webhook_are_checked_at_a_bounded_rate(
    stack: Stack, proxy: RecordingProxy, lnbits: LnbitsInstance, sink: WebhookRecorder
) -> None:
    bolt11 = await _request_and_invoice(stack, "a replayed fox")
    assert (await lnbits.pay(bolt11)).status_code == 201
    (delivery,) = await sink.wait_for(WEBHOOK_PATH)
    await asyncio.sleep(1.0)  # a full budget: one check
    before, started = _lookups(proxy), time.monotonic()
    answers = await asyncio.gather(
        *(_post(stack, delivery.body, delivery.headers) for _ in range(30))
    )
    elapsed = time.monotonic() - started
    await stack.runtime.wait_idle()
    assert set(answers) <= {200, 503}
    assert answers.count(503) >= 30 - (2 + elapsed)
    checked = answers.count(200)
    assert 1 <= checked <= 2 + elapsed  # one a second, after the first
    assert _lookups(proxy) - before <= 2 * checked  # the check and the fetch of the payment
    assert _results(stack) == ["a replayed fox"]  # run once
