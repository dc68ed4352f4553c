"""The operator's currency rate: read from a JSON document at a path, kept for its TTL,
the fixed rate when the URL fails, none when nothing answers; against a real local server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestrator.payments.fiat import FiatRate, FiatRates, RateUnreadable, rate_at
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings

SECRETS = {"telegram_bot_token": "1:abc", "telegram_webhook_secret": "s" * 16}


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **SECRETS, **values)


def test_the_rate_is_found_at_its_path() -> None:
    assert rate_at({"bitcoin": {"usd": 95000.5}}, "bitcoin.usd") == Decimal("95000.5")
    assert rate_at({"data": [{"price": "61000"}]}, "data.0.price") == Decimal(61000)
    for document, path in [
        ({"bitcoin": {}}, "bitcoin.usd"),
        ({"data": []}, "data.0"),
        ({"rate": True}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"rate": 0}, "rate"),
        ({"rate": {"x": 1}}, "rate"),
        ({"rate": "lots"}, "rate"),
    ]:
        with pytest.raises(RateUnreadable):
            rate_at(document, path)


def test_a_rate_prices_sats() -> None:
    assert FiatRate("USD", Decimal(100_000)).of_sats(1000) == Decimal(1)


def test_the_currency_must_be_a_code() -> None:
    assert _settings(fiat_currency=" eur ").fiat_currency == "EUR"
    with pytest.raises(ValidationError):
        _settings(fiat_currency="euro")
    with pytest.raises(ValidationError):
        _settings(fiat_rate="-3")


class Source:
    def __init__(self) -> None:
        self.answer: Response = JSONResponse({"bitcoin": {"chf": 70000}})
        self.requests = 0

    async def price(self, request: Request) -> Response:
        self.requests += 1
        return self.answer


@pytest.fixture
async def source() -> AsyncIterator[tuple[Source, str]]:
    served = Source()
    async with serve_in_background(Starlette(routes=[Route("/p", served.price)])) as url:
        yield served, f"{url}/p"


async def test_no_currency_no_rate() -> None:
    rates = FiatRates(_settings(fiat_rate="90000"))
    assert await rates.rate() is None


async def test_a_fixed_rate() -> None:
    rates = FiatRates(_settings(fiat_currency="USD", fiat_rate="90000"))
    assert await rates.rate() == FiatRate("USD", Decimal(90000))


async def test_the_url_wins_and_is_kept_for_its_ttl(source: tuple[Source, str]) -> None:
    served, url = source
    rates = FiatRates(_settings(fiat_currency="CHF", fiat_rate="1", fiat_rate_url=url))
    try:
        assert await rates.rate() == FiatRate("CHF", Decimal(70000))
        served.answer = JSONResponse({"bitcoin": {"chf": 1}})
        assert await rates.rate() == FiatRate("CHF", Decimal(70000))  # kept
        assert served.requests == 1
    finally:
        await rates.stop()


async def test_a_failing_url_falls_back_to_the_fixed_rate_or_none(
    source: tuple[Source, str],
) -> None:
    served, url = source
    served.answer = Response("down", status_code=502)
    with_fixed = FiatRates(_settings(fiat_currency="CHF", fiat_rate="65000", fiat_rate_url=url))
    alone = FiatRates(_settings(fiat_currency="CHF", fiat_rate_url=url))
    try:
        assert await with_fixed.rate() == FiatRate("CHF", Decimal(65000))
        assert await alone.rate() is None
        assert await alone.rate() is None  # not asked again at once
        assert served.requests == 2
        served.answer = Response(b"{" * 70_000, media_type="application/json")  # too large
        rates = FiatRates(_settings(fiat_currency="CHF", fiat_rate_url=url))
        assert await rates.rate() is None
        await rates.stop()
    finally:
        await with_fixed.stop()
        await alone.stop()
