"""Settings of prices in the operator's currency (``orchestrator/payments/fiat.py``), mixed
into :class:`orchestrator.settings.Settings`."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import BaseSettings


class FiatSettings(BaseSettings):
    # An ISO 4217 code (USD, EUR): prices also shown in it when a rate is known; unset: sats
    # and images only.
    fiat_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    # A fixed rate, units of FIAT_CURRENCY per bitcoin; used when no URL is set or the URL
    # fails.
    fiat_rate: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    # A JSON document with the rate, fetched at most once per FIAT_RATE_TTL_S; the number
    # is found at FIAT_RATE_PATH (dot-separated keys, list indices as numbers; "{currency}"
    # is the currency in lower case): CoinGecko's simple price answer by default.
    fiat_rate_url: AnyHttpUrl | None = None
    fiat_rate_path: str = Field(default="bitcoin.{currency}", min_length=1, max_length=200)
    fiat_rate_ttl_s: float = Field(default=600.0, ge=1, le=86400)

    @field_validator("fiat_currency", mode="before")
    @classmethod
    def _currency_code(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().upper() or None
        return value
