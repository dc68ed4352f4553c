"""``POST /telegram/webhook``: check the secret, parse, de-duplicate, answer at once."""

from __future__ import annotations

import json
from typing import Annotated

import structlog
from fastapi import APIRouter, Header, Request, Response

from orchestrator.metrics import UPDATES
from orchestrator.runtime import Runtime
from state.errors import StateUnavailable

log = structlog.get_logger(__name__)
router = APIRouter()


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    runtime = _runtime(request)
    if not runtime.secret_matches(secret):
        UPDATES.labels("forbidden").inc()
        return Response(status_code=403)
    if not runtime.accepting:
        # Shutting down: Telegram re-sends what was not acknowledged, so nothing is lost.
        UPDATES.labels("shutting_down").inc()
        return Response(status_code=503, headers={"Retry-After": "5"})
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        data = None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int:
        UPDATES.labels("malformed").inc()
        return Response(status_code=400)
    try:
        accepted = await runtime.accept_update(data)
    except StateUnavailable as exc:
        # Redis is down: not acknowledged, so Telegram re-sends it later; nothing is lost.
        UPDATES.labels("state_unavailable").inc()
        log.error("update_not_accepted", update_id=update_id, error=repr(exc))
        return Response(status_code=503, headers={"Retry-After": "5"})
    if accepted:
        UPDATES.labels("accepted").inc()
    else:
        UPDATES.labels("duplicate").inc()
        log.info("duplicate_update", update_id=update_id)
    return Response(status_code=200)
