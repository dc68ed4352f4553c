"""``/health`` (the process is alive), ``/ready`` (it can do its work) and ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from orchestrator.metrics import QUEUE_DEPTH
from orchestrator.runtime import Runtime

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
    runtime: Runtime = request.app.state.runtime
    state_ok, telegram_ok = await asyncio.gather(
        _bounded(runtime.store.ping()), _bounded(runtime.frontend.ping())
    )
    providers = {kind.value: provider.name for kind, provider in runtime.providers.items()}
    moderation_ok = runtime.moderation.moderator.started
    is_ready = runtime.accepting and state_ok and telegram_ok and bool(providers) and moderation_ok
    body = {
        "ready": is_ready,
        "checks": {
            "state": state_ok,
            "telegram": telegram_ok,
            "accepting": runtime.accepting,
            "moderation": moderation_ok,
        },
        "providers": providers,
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
