"""``POST /telegram/webhook``: check the secret, parse, de-duplicate, answer at once."""

from __future__ import annotations

import json

import structlog
from fastapi import APIRouter, Request, Response

from orchestrator.metrics import UPDATES
from orchestrator.runtime import Runtime
from state.errors import StateUnavailable

log = structlog.get_logger(__name__)
router = APIRouter()
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Bound once: a labels() look-up per request is measurable at ingest rates.
FORBIDDEN, SHUTTING_DOWN, MALFORMED, STATE_UNAVAILABLE, ACCEPTED, DUPLICATE = (
    UPDATES.labels(outcome)
    for outcome in (
        "forbidden",
        "shutting_down",
        "malformed",
        "state_unavailable",
        "accepted",
        "duplicate",
    )
)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    # The header is read directly rather than declared as a FastAPI Header parameter: the
    # parameter's validation was a third of the handler's CPU (bench/ingest_cpu.py).
    runtime = _runtime(request)
    if not runtime.secret_matches(request.headers.get(SECRET_HEADER)):
        FORBIDDEN.inc()
        return Response(status_code=403)
    if not runtime.accepting:
        # Shutting down: Telegram re-sends what was not acknowledged, so nothing is lost.
        SHUTTING_DOWN.inc()
        return Response(status_code=503, headers={"Retry-After": "5"})
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        data = None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int:
        MALFORMED.inc()
        return Response(status_code=400)
    try:
        accepted = await runtime.accept_update(data)
    except StateUnavailable as exc:
        # Redis is down: not acknowledged, so Telegram re-sends it later. (Only if the
        # update's mark reached Redis with its reply lost and Redis stayed away past
        # runtime.UPDATE_MARK_RETRY_S is the re-sent copy taken for a repeat.)
        STATE_UNAVAILABLE.inc()
        log.error("update_not_accepted", update_id=update_id, error=repr(exc))
        return Response(status_code=503, headers={"Retry-After": "5"})
    if accepted:
        ACCEPTED.inc()
    else:
        DUPLICATE.inc()
        log.info("duplicate_update", update_id=update_id)
    return Response(status_code=200)
