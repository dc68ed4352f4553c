"""A paid request end to end with each real-protocol backend: BTCPay (the fake Greenfield
server sends its signed webhooks straight to the orchestrator) and LNbits (the real one,
FakeWallet; a second wallet pays the bot's invoice and LNbits' own webhook is delivered)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from orchestrator.serving.server import serve_in_background
from providers.payments.btcpay import WEBHOOK_PATH as BTCPAY_WEBHOOK_PATH
from providers.payments.lnbits import WEBHOOK_PATH as LNBITS_WEBHOOK_PATH
from state.models import Balance
from tests.conftest import Stack, redis_settings
from tests.providers.payments.harness import BTCPAY_KEY, BTCPAY_SECRET, BTCPAY_STORE
from tests.redis_server import RedisServer
from tests.services.btcpay_greenfield import FakeGreenfield
from tests.services.lnbits_server import LnbitsInstance
from tests.services.webhook_recorder import WebhookRecorder

PRICE = 21


@pytest.fixture
def state_backend(redis_server: RedisServer) -> dict[str, Any]:
    """Redis only: a real payment backend is refused with balances kept in memory."""
    return redis_settings(redis_server)


@pytest.fixture
async def greenfield() -> AsyncIterator[tuple[FakeGreenfield, str]]:
    server = FakeGreenfield(BTCPAY_KEY, BTCPAY_STORE)
    async with serve_in_background(server.app) as url:
        yield server, url


@pytest.fixture
async def recorder() -> AsyncIterator[WebhookRecorder]:
    built = WebhookRecorder()
    async with serve_in_background(built.app) as url:
        built.url = url
        yield built


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _request_and_invoice(stack: Stack, prompt: str) -> str:
    """Send /generate with no credits; the BOLT11 the bot answered with."""
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text=f"/generate {prompt}"))
    (qr,) = stack.emulator.calls_to("sendPhoto")
    assert qr.params["caption"].startswith(
        texts.text("payment_invoice", images=1, price=f"{PRICE} sats")
    )
    bolt11 = str(stack.emulator.calls_to("sendMessage")[-1].params["text"])
    assert bolt11.startswith("lnbc")
    return bolt11


def _results(stack: Stack) -> list[str]:
    return [str(p.params.get("caption")) for p in stack.emulator.calls_to("sendPhoto")[1:]]


class TestBtcpay:
    @pytest.fixture
    def settings_overrides(self, greenfield: tuple[FakeGreenfield, str]) -> dict[str, Any]:
        _, url = greenfield
        return {
            "payments_backend": "btcpay",
            "price_generate_sats": PRICE,
            "btcpay_url": url,
            "btcpay_api_key": BTCPAY_KEY,
            "btcpay_store_id": BTCPAY_STORE,
            "btcpay_webhook_secret": BTCPAY_SECRET,
        }

    async def test_settled_webhook_runs_the_job_once(
        self, stack: Stack, greenfield: tuple[FakeGreenfield, str]
    ) -> None:
        server, _ = greenfield
        server.add_webhook(stack.url + BTCPAY_WEBHOOK_PATH, BTCPAY_SECRET)
        await _request_and_invoice(stack, "a btcpay fox")
        (invoice_id,) = server.invoices
        sent = await server.pay(invoice_id)
        assert {d.status_code for d in sent} == {200}
        await stack.runtime.wait_idle()
        settled = next(d for d in sent if d.event["type"] == "InvoiceSettled")
        again = await server.redeliver(settled.id)  # same event, new delivery id
        assert again.status_code == 200
        await stack.runtime.wait_idle()
        assert _results(stack) == ["a btcpay fox"]
        payments = stack.runtime.payments
        assert payments is not None
        assert await payments.balance(1001) == Balance(0, 0)

        forged = await stack.http.post(
            stack.url + BTCPAY_WEBHOOK_PATH,
            content=settled.body,
            headers={"BTCPay-Sig": "sha256=" + "0" * 64},
        )
        assert forged.status_code == 401


class TestLnbits:
    @pytest.fixture
    def settings_overrides(self, lnbits: LnbitsInstance, recorder: WebhookRecorder) -> dict:
        return {
            "payments_backend": "lnbits",
            "price_generate_sats": PRICE,
            "lnbits_url": lnbits.url,
            "lnbits_invoice_key": lnbits.bot.invoice_key,
            "public_url": recorder.url,  # LNbits calls it; the test hands the call on
        }

    async def test_paid_invoice_runs_the_job_once(
        self,
        stack: Stack,
        lnbits: LnbitsInstance,
        recorder: WebhookRecorder,
    ) -> None:
        bolt11 = await _request_and_invoice(stack, "an lnbits fox")
        paid = await lnbits.pay(bolt11)  # a second wallet of the same LNbits pays
        assert paid.status_code == 201, paid.text
        (delivery,) = await recorder.wait_for(LNBITS_WEBHOOK_PATH)
        for _ in range(2):  # LNbits sometimes sends it twice: the second changes nothing
            response = await stack.http.post(
                stack.url + LNBITS_WEBHOOK_PATH, content=delivery.body, headers=delivery.headers
            )
            assert response.status_code == 200
            await stack.runtime.wait_idle()
        assert _results(stack) == ["an lnbits fox"]
        assert texts.text("payment_job_paid", amount=PRICE, balance=0) in [
            c.params["text"] for c in stack.emulator.calls_to("sendMessage")
        ]
        payments = stack.runtime.payments
        assert payments is not None
        assert await payments.balance(1001) == Balance(0, 0)
