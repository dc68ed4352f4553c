"""``/health`` (the process is alive), ``/ready`` (it can do its work) and ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

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
    chat platform answers), each provider of a kind (``providers_ready``), moderation."""
    runtime: Runtime = request.app.state.runtime
    frontends = list(runtime.frontends)
    kinds = list(runtime.providers)
    state_ok, *answers = await asyncio.gather(
        _bounded(runtime.store.ping()),
        *(_bounded(frontend.ping()) for frontend in frontends),
        *(_bounded(runtime.providers[kind].ready()) for kind in kinds),
    )
    frontend_ok = {f.name: ok for f, ok in zip(frontends, answers, strict=False)}
    providers_ok = dict(zip((k.value for k in kinds), answers[len(frontends) :], strict=True))
    providers = {kind.value: provider.name for kind, provider in runtime.providers.items()}
    moderation_ok = runtime.moderation.moderator.started
    is_ready = (
        runtime.accepting
        and state_ok
        and all(frontend_ok.values())
        and bool(providers_ok)
        and all(providers_ok.values())
        and moderation_ok
    )
    body = {
        "ready": is_ready,
        "checks": {
            "state": state_ok,
            **frontend_ok,
            "accepting": runtime.accepting,
            "moderation": moderation_ok,
            "providers": all(providers_ok.values()),
        },
        "providers": providers,
        "providers_ready": providers_ok,
    }
    return JSONResponse(body, status_code=200 if is_ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        QUEUE_DEPTH.set(await runtime.queue.pending())
    except Exception:  # a down queue must not take the metrics endpoint with it
        QUEUE_DEPTH.set(float("nan"))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
