"""Money a person can read, through the emulator on memory and Redis: free images and
credits adding up on a request's invoice and in /balance (held while it waits, given back
when it expires), /buy's precise refusals, admins not invoiced, and prices in the
operator's currency from a fixed rate or a real local rate server (omitted when it fails)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import texts
from bot.frontend import TelegramFrontend
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from providers.payments.fake import FakeWebhook
from state.models import Balance
from tests.conftest import Stack, make_settings

PRICE = 100
PAID = {"payments_backend": "fake", "price_generate_sats": PRICE, "price_edit_sats": 150}
ADMIN = 42  # tests.conftest.make_settings' ADMIN_USER_IDS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(PAID)


def _chat(stack: Stack, user_id: int = 1001) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _say(stack: Stack, text: str, user_id: int = 1001) -> None:
    user, chat = _chat(stack, user_id)
    await stack.send(stack.emulator.user_message(chat, user, text=text))


async def _webhook(stack: Stack, webhook: FakeWebhook) -> None:
    response = await stack.http.post(
        f"{stack.url}/payments/fake/webhook", content=webhook.body, headers=webhook.headers
    )
    assert response.status_code == 200
    await stack.runtime.wait_idle()


def _texts(stack: Stack) -> list[str]:
    return [str(c.params["text"]) for c in stack.emulator.calls_to("sendMessage")]


def _captions(stack: Stack) -> list[str]:
    return [str(c.params.get("caption")) for c in stack.emulator.calls_to("sendPhoto")]


def _invoice_caption(price: str, images: int, covered: str, amount: str) -> str:
    return (
        texts.text("payment_invoice", images=images, price=price)
        + covered
        + texts.text("payment_invoice_pay", amount=amount, minutes=15)
        + "\n\n"
        + texts.text("invoice_wallet_link")
    )


FREE_AND_CREDIT = PAID | {"free_generations_per_day": 2}


@pytest.mark.parametrize("settings_overrides", [FREE_AND_CREDIT])
async def test_free_images_and_credit_add_up_and_are_held_until_the_invoice_expires(
    stack: Stack,
) -> None:
    payments, fake = stack.fake_payments()
    await _say(stack, "/generate one free fox")  # one of the two free images of the day
    assert _captions(stack) == ["one free fox"]
    await payments.ledger.credit(1001, "gift", 150)

    await _say(stack, "/generate three foxes --n 3")  # 1 free + 150 credit + 50 to pay
    (pending,) = await payments.ledger.pending_invoices()
    assert pending.amount_sats == 50
    covered = texts.text("payment_invoice_free", n=1) + texts.text(
        "payment_invoice_credit", credit="150 sats"
    )
    assert _captions(stack)[-1] == _invoice_caption("300 sats", 3, covered, "50 sats")
    assert await payments.balance(1001) == Balance(0, 150, 1)  # held for that request

    await _say(stack, "/balance")
    held = texts.text("balance_held", held="150 sats and 1 free image")
    assert _texts(stack)[-1].startswith(
        texts.text("balance", credits="0 sats") + texts.text("balance_free", left=0, free=2) + held
    )

    # Meanwhile nothing of it can be spent twice: another request is invoiced in full.
    await _say(stack, "/generate another fox")
    assert len(await payments.ledger.pending_invoices()) == 2
    assert _captions(stack)[-1] == _invoice_caption("100 sats", 1, "", "100 sats")

    await _webhook(stack, fake.mark_expired(pending.invoice_id))
    told = texts.text("payment_expired_request", amount=50, prompt="three foxes")
    assert told in _texts(stack)
    assert await payments.balance(1001) == Balance(150, 0, 0)  # all of it back
    assert await payments.free_left(1001) == 1
    assert len(_captions(stack)) == 3  # one image and two QR codes: nothing more made


@pytest.mark.parametrize("settings_overrides", [FREE_AND_CREDIT])
async def test_paying_the_missing_part_runs_the_request_with_what_was_held(
    stack: Stack,
) -> None:
    payments, fake = stack.fake_payments()
    await payments.ledger.credit(1001, "gift", 100)
    await _say(stack, "/generate four foxes --n 4")  # 2 free + 100 credit + 100 to pay
    (pending,) = await payments.ledger.pending_invoices()
    assert pending.amount_sats == 100
    assert await payments.balance(1001) == Balance(0, 100, 2)
    await _webhook(stack, fake.mark_paid(pending.invoice_id))
    albums = stack.emulator.calls_to("sendMediaGroup")
    assert len(albums) == 1
    assert len(albums[0].params["media"]) == 4
    assert await payments.balance(1001) == Balance(0, 0, 0)  # 200 sats and 2 free: spent
    assert await payments.free_left(1001) == 0


async def test_a_long_prompt_is_shortened_in_the_expiry_notice(stack: Stack) -> None:
    payments, fake = stack.fake_payments()
    prompt = "a very long prompt about " + "foxes " * 30
    await _say(stack, f"/generate {prompt}")
    (pending,) = await payments.ledger.pending_invoices()
    await _webhook(stack, fake.mark_expired(pending.invoice_id))
    (told,) = [t for t in _texts(stack) if "expired" in t]
    quoted = told.split("“")[1].split("”")[0]
    assert quoted.endswith("…")
    assert len(quoted) <= 60
    assert prompt.startswith(quoted.removesuffix("…"))


async def test_buy_says_exactly_what_is_wrong_with_an_amount(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    bounds = {"default": "1,000", "min": "100", "max": "1,000,000"}
    await _say(stack, "/buy lots")
    assert _texts(stack)[-1] == texts.text("buy_not_a_number", value="lots", **bounds)
    await _say(stack, "/buy -5")
    assert _texts(stack)[-1] == texts.text("buy_not_a_number", value="-5", **bounds)
    await _say(stack, "/buy 99")  # less than one image
    assert _texts(stack)[-1] == texts.text("buy_too_small", amount="99", **bounds)
    await _say(stack, "/buy 0")
    assert _texts(stack)[-1] == texts.text("buy_too_small", amount="0", **bounds)
    await _say(stack, "/buy 1000001")
    assert _texts(stack)[-1] == texts.text("buy_too_big", amount="1,000,001", **bounds)
    assert stack.emulator.calls_to("sendPhoto") == []  # no invoice for any of them
    assert await payments.ledger.pending_invoices() == []

    await _say(stack, "/buy 100")  # exactly one image: fine
    (qr,) = stack.emulator.calls_to("sendPhoto")
    topup = texts.text("payment_topup_invoice", amount="100 sats ≈ 1 image", minutes=15)
    assert qr.params["caption"].startswith(topup)


async def test_an_admin_is_not_invoiced_for_their_own_images(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    await _say(stack, "/generate an admin's fox", user_id=ADMIN)
    assert _captions(stack) == ["an admin's fox"]
    assert await payments.ledger.pending_invoices() == []
    assert await payments.balance(ADMIN) == Balance(0, 0)
    await _say(stack, "/help", user_id=ADMIN)
    assert texts.text("help_prices_admin") in _texts(stack)[-1]


@pytest.mark.parametrize("settings_overrides", [PAID | {"admins_pay": True}])
async def test_admins_pay_when_the_operator_says_so(stack: Stack) -> None:
    payments, _ = stack.fake_payments()
    await _say(stack, "/generate an admin's fox", user_id=ADMIN)
    assert len(await payments.ledger.pending_invoices()) == 1
    priced = texts.text("payment_invoice", images=1, price="100 sats")
    assert _captions(stack)[0].startswith(priced)


@pytest.mark.parametrize("settings_overrides", [PAID | {"free_generations_per_day": 3}])
async def test_start_and_help_say_what_things_cost_and_the_free_images_left(
    stack: Stack,
) -> None:
    prices = texts.text("help_prices", generate="100 sats", edit="150 sats")
    await _say(stack, "/start")
    assert _texts(stack)[-1].endswith(prices + texts.text("help_free_left", left=3, free=3))
    await _say(stack, "/generate a free fox")
    await _say(stack, "/help")
    assert _texts(stack)[-1].endswith(prices + texts.text("help_free_left", left=2, free=3))


@pytest.mark.parametrize(
    "settings_overrides", [PAID | {"fiat_currency": "usd", "fiat_rate": "90000"}]
)
async def test_a_fixed_rate_shows_prices_in_the_operators_currency(stack: Stack) -> None:
    await _say(stack, "/help")
    prices = texts.text("help_prices", generate="100 sats ≈ $0.09", edit="150 sats ≈ $0.14")
    assert _texts(stack)[-1].endswith(prices)
    await _say(stack, "/buy 1000")
    (qr,) = stack.emulator.calls_to("sendPhoto")
    amount = "1,000 sats ≈ 10 images ≈ $0.90"
    assert qr.params["caption"].startswith(
        texts.text("payment_topup_invoice", amount=amount, minutes=15)
    )


class RateServer:
    """A real HTTP server answering a CoinGecko-like price, or failing on demand."""

    def __init__(self) -> None:
        self.answer: Response = JSONResponse({"bitcoin": {"eur": 80000}})
        self.requests = 0

    async def price(self, request: Request) -> Response:
        self.requests += 1
        return self.answer


@pytest.fixture
async def rate_server() -> AsyncIterator[tuple[RateServer, str]]:
    server = RateServer()
    app = Starlette(routes=[Route("/price", server.price)])
    async with serve_in_background(app) as url:
        yield server, f"{url}/price"


@pytest.fixture
def fiat_from_url(rate_server: tuple[RateServer, str]) -> dict[str, Any]:
    return PAID | {"fiat_currency": "EUR", "fiat_rate_url": rate_server[1]}


async def test_a_rate_url_is_fetched_once_and_kept(
    emulator: Any,
    state_backend: dict[str, Any],
    rate_server: tuple[RateServer, str],
    fiat_from_url: dict[str, Any],
) -> None:
    server, _ = rate_server
    async with _stack(emulator, state_backend | fiat_from_url) as stack:
        await _say(stack, "/help")
        await _say(stack, "/help")
        prices = texts.text("help_prices", generate="100 sats ≈ €0.08", edit="150 sats ≈ €0.12")
        assert _texts(stack)[-2:] == [_texts(stack)[-1]] * 2
        assert _texts(stack)[-1].endswith(prices)
        assert server.requests == 1  # kept for FIAT_RATE_TTL_S


@pytest.mark.parametrize(
    "failure",
    [
        Response("down", status_code=503),
        Response("not json", media_type="application/json"),
        JSONResponse({"bitcoin": {"usd": 90000}}),  # no rate for EUR
        JSONResponse({"bitcoin": {"eur": -1}}),
    ],
)
async def test_a_failing_rate_source_just_leaves_the_currency_out(
    emulator: Any,
    state_backend: dict[str, Any],
    rate_server: tuple[RateServer, str],
    fiat_from_url: dict[str, Any],
    failure: Response,
) -> None:
    server, _ = rate_server
    server.answer = failure
    async with _stack(emulator, state_backend | fiat_from_url) as stack:
        await _say(stack, "/help")
        prices = texts.text("help_prices", generate="100 sats", edit="150 sats")
        assert _texts(stack)[-1].endswith(prices)
        assert server.requests == 1


@asynccontextmanager
async def _stack(emulator: Any, overrides: dict[str, Any]) -> AsyncIterator[Stack]:
    """A stack with these settings (the rate server's URL is only known in the test)."""
    bot_api, bot_api_url = emulator
    app = create_app(make_settings(bot_api_url, **overrides), TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)
