"""The HTTP client the hosted payment backends share: one httpx client, tenacity retries
for requests that are safe to repeat, and transport failures mapped to our errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from fulmine.errors import request_never_left
from providers.payments.errors import PaymentBackendUnavailable

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    timeout_s: float = 10.0
    attempts: int = 3  # tries of a repeatable request in all
    backoff_s: float = 0.5  # first retry wait, then doubling


class _Unsent(PaymentBackendUnavailable):
    """The request certainly never reached the service, so even a create may be repeated."""


class BackendHttp:
    """JSON over HTTP to one service. ``request`` returns the response for any status below
    500 (the backend maps 4xx itself) and raises ``PaymentBackendUnavailable`` otherwise."""

    def __init__(
        self, backend: str, base_url: str, headers: dict[str, str], policy: HttpPolicy
    ) -> None:
        self._backend = backend
        self._base_url = base_url.rstrip("/")
        self._headers = headers
        self._policy = policy
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._base_url,
                headers=self._headers,
                timeout=self._policy.timeout_s,
                follow_redirects=False,
            )

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def request(
        self, method: str, path: str, *, json: Any = None, repeatable: bool
    ) -> httpx.Response:
        """``repeatable``: safe to send twice (reads); otherwise only re-sent when unsent."""
        if self._client is None:
            raise RuntimeError(f"{self._backend} payment backend is not started")
        client = self._client

        async def once() -> httpx.Response:
            try:
                response = await client.request(method, path, json=json)
            except httpx.HTTPError as exc:
                if request_never_left(exc):
                    raise _Unsent(self._backend, f"cannot connect: {type(exc).__name__}") from exc
                if isinstance(exc, httpx.TimeoutException):
                    raise PaymentBackendUnavailable(
                        self._backend, f"no answer within {self._policy.timeout_s:g} s"
                    ) from exc
                raise PaymentBackendUnavailable(
                    self._backend, f"request failed: {type(exc).__name__}"
                ) from exc
            if response.status_code >= 500:
                raise PaymentBackendUnavailable(
                    self._backend, f"{method} {path.split('?')[0]}: HTTP {response.status_code}"
                )
            return response

        def retryable(error: BaseException) -> bool:
            return isinstance(error, _Unsent) or (
                repeatable and isinstance(error, PaymentBackendUnavailable)
            )

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            log.info(
                "payment_backend_retry",
                backend=self._backend,
                attempt=state.attempt_number,
                error=repr(outcome.exception() if outcome else None),
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=wait_exponential(
                multiplier=self._policy.backoff_s, max=10 * self._policy.backoff_s
            ),
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        response: httpx.Response = await retrying(once)
        return response


def error_detail(response: httpx.Response) -> str:
    """A short description of an error answer, for logs and exceptions (never secrets:
    services do not echo credentials)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "detail", "code"):
            if isinstance(body.get(key), str):
                return str(body[key])[:200]
    if isinstance(body, list):  # Greenfield validation errors: [{"path", "message"}]
        parts = [f"{e.get('path')}: {e.get('message')}" for e in body if isinstance(e, dict)]
        return "; ".join(parts)[:200]
    return str(body)[:200]
