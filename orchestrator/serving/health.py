"""``/health`` (the process is alive), ``/ready`` (it can do its work) and ``/metrics``."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from orchestrator.runtime import Runtime
from orchestrator.serving.metrics import QUEUE_DEPTH

router = APIRouter()
READY_CHECK_TIMEOUT_S = 4.0


async def _bounded(check: Awaitable[bool]) -> bool:
    """A readiness check that fails, rather than hangs or raises, when its target is down."""
    try:
        async with asyncio.timeout(READY_CHECK_TIMEOUT_S):
            return await check
    except Exception:
        return False


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Every check at once, each bounded: the state store, each front end (by name: its
    chat platform answers), each provider of a kind (``providers_ready``), moderation.
    Providers are reported (``checks.providers``) but do not make it 503. What asks another
    service is kept ``READY_CACHE_S`` (probes come every few seconds
    from every balancer; each would be a Bot API call); stopping shows at once."""
    runtime: Runtime = request.app.state.runtime
    cached: tuple[float, dict[str, Any]] | None = getattr(request.app.state, "ready", None)
    now = time.monotonic()
    if cached is None or now - cached[0] >= runtime.settings.ready_cache_s:
        cached = (now, await _remote_checks(runtime))
        request.app.state.ready = cached
    remote = cached[1]
    moderation_ok = runtime.moderation.moderator.started
    providers_ok: dict[str, bool] = remote["providers_ready"]
    # Providers are reported, not required: a machine whose GPU servers are loading still
    # answers users (and tells them a provider is unavailable); taking it out of a
    # balancer's rotation would leave them with no answer at all.
    is_ready = (
        runtime.accepting
        and remote["state"]
        and all(remote["frontends"].values())
        and moderation_ok
    )
    body = {
        "ready": is_ready,
        "checks": {
            "state": remote["state"],
            **remote["frontends"],
            "accepting": runtime.accepting,
            "moderation": moderation_ok,
            "providers": all(providers_ok.values()),
        },
        "providers": {kind.value: provider.name for kind, provider in runtime.providers.items()},
        "providers_ready": providers_ok,
    }
    return JSONResponse(body, status_code=200 if is_ready else 503)


async def _remote_checks(runtime: Runtime) -> dict[str, Any]:
    frontends = list(runtime.frontends)
    kinds = list(runtime.providers)
    state_ok, *answers = await asyncio.gather(
        _bounded(runtime.store.ping()),
        *(_bounded(frontend.ping()) for frontend in frontends),
        *(_bounded(runtime.providers[kind].ready()) for kind in kinds),
    )
    return {
        "state": state_ok,
        "frontends": {f.name: ok for f, ok in zip(frontends, answers, strict=False)},
        "providers_ready": dict(
            zip((k.value for k in kinds), answers[len(frontends) :], strict=True)
        ),
    }


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Needs ``METRICS_TOKEN`` as a bearer token (404 while none is set: off, not broken)."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.metrics_token
    if token is None:
        return Response(status_code=404)
    presented = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
    if not hmac.compare_digest(presented, token.get_secret_value().encode()):
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    try:
        QUEUE_DEPTH.set(await runtime.queue.pending())
    except Exception:  # a down queue must not take the metrics endpoint with it
        QUEUE_DEPTH.set(float("nan"))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
