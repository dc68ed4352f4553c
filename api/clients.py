"""Who a request comes from, as far as limits go, and the per-client rate limit
(``API_RATE_LIMIT_PER_MINUTE``, counted in the shared state so every process agrees)."""

from __future__ import annotations

from fastapi import Request

from api.errors import ApiError
from api.orders import answer_refusal, retry_after
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.errors import RateLimited, StateError


def client_of(request: Request, header: str | None) -> str:
    """The client's address: the first of ``header`` (behind a proxy) or the peer's."""
    if header:
        value = request.headers.get(header, "")
        first = value.split(",")[0].strip()
        if first:
            return first[:64]
    return request.client.host if request.client is not None else "unknown"


async def limit_client(settings: Settings, submitter: JobSubmitter, request: Request) -> None:
    """One request of the client's allowance; 429 (with Retry-After) when it is spent."""
    per_minute = settings.api_rate_limit_per_minute
    if not per_minute:
        return
    client = client_of(request, settings.api_client_ip_header)
    try:
        await submitter.take_limit("api_client", f"api-client:{client}", per_minute, 60.0)
    except RateLimited as exc:
        raise ApiError(
            429, "rate_limited", "too many requests", retry_after(exc.retry_after_s)
        ) from exc
    except StateError as exc:
        raise answer_refusal(exc) from exc
