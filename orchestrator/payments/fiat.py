"""The bitcoin price in the operator's currency (``FIAT_CURRENCY``), so that prices can be
shown in it too.

The rate comes from ``FIAT_RATE_URL`` (a JSON document, the number at ``FIAT_RATE_PATH``),
kept for ``FIAT_RATE_TTL_S``; when the URL is unset or fails, from ``FIAT_RATE`` (a fixed
number), else there is none and prices are shown in sats and images only. A failed fetch
is not retried for ``RETRY_AFTER_FAILURE_S`` (at most the TTL), so a source that is down
costs one request per minute, not one per message; it never raises.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import httpx
import structlog

from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

SATS_PER_BTC = 100_000_000
FETCH_TIMEOUT_S = 3.0
MAX_RESPONSE_BYTES = 64 * 1024
RETRY_AFTER_FAILURE_S = 60.0


@dataclass(frozen=True, slots=True)
class FiatRate:
    currency: str  # ISO 4217
    per_btc: Decimal

    def of_sats(self, sats: int) -> Decimal:
        return self.per_btc * sats / SATS_PER_BTC


class RateUnreadable(Exception):
    """The rate source answered something that is not a positive number where expected."""


def rate_at(document: object, path: str) -> Decimal:
    """The number at ``path`` (dot-separated keys; list indices as numbers) in ``document``."""
    found = document
    for step in path.split("."):
        if isinstance(found, dict) and step in found:
            found = found[step]
        elif isinstance(found, list) and step.isdigit() and int(step) < len(found):
            found = found[int(step)]
        else:
            raise RateUnreadable(f"nothing at {step!r}")
    if isinstance(found, bool) or not isinstance(found, int | float | str):
        raise RateUnreadable("not a number")
    try:
        rate = Decimal(str(found))
    except InvalidOperation as exc:
        raise RateUnreadable("not a number") from exc
    if not rate.is_finite() or rate <= 0:
        raise RateUnreadable("not a positive number")
    return rate


class FiatRates:
    def __init__(self, settings: Settings) -> None:
        self._currency = settings.fiat_currency
        self._fixed = settings.fiat_rate
        self._url = str(settings.fiat_rate_url) if settings.fiat_rate_url else None
        currency = (self._currency or "").lower()
        self._path = settings.fiat_rate_path.replace("{currency}", currency)
        self._ttl_s = settings.fiat_rate_ttl_s
        self._fetched: Decimal | None = None
        self._until = 0.0  # monotonic time the last answer (or failure) is kept until
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def rate(self) -> FiatRate | None:
        """The current rate, or None (no currency, or no source answers)."""
        if self._currency is None:
            return None
        per_btc = await self._from_url() if self._url is not None else None
        if per_btc is None:
            per_btc = self._fixed
        return FiatRate(self._currency, per_btc) if per_btc is not None else None

    async def _from_url(self) -> Decimal | None:
        async with self._lock:  # callers at once share one fetch
            if time.monotonic() < self._until:
                return self._fetched
            try:
                # One deadline for the whole fetch: a source that drips its answer must not
                # hold every price answer waiting behind this lock.
                async with asyncio.timeout(FETCH_TIMEOUT_S):
                    self._fetched = await self._fetch()
                self._until = time.monotonic() + self._ttl_s
            except (
                httpx.HTTPError,
                ValueError,
                RateUnreadable,
                TimeoutError,
                RecursionError,
            ) as exc:
                log.warning("fiat_rate_unavailable", error=repr(exc))
                self._fetched = None
                self._until = time.monotonic() + min(RETRY_AFTER_FAILURE_S, self._ttl_s)
            return self._fetched

    async def _fetch(self) -> Decimal:
        assert self._url is not None
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=False)
        async with self._client.stream("GET", self._url) as response:
            response.raise_for_status()
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise RateUnreadable("response too large")
        return rate_at(json.loads(body), self._path)
