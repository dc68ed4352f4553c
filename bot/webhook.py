"""``POST /telegram/webhook``: check the secret, parse, de-duplicate, answer at once."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import structlog
from fastapi import APIRouter, Request, Response

from orchestrator.serving.metrics import UPDATES
from state.errors import StateUnavailable

if TYPE_CHECKING:
    from bot.frontend import TelegramFrontend

log = structlog.get_logger(__name__)
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


def webhook_router(frontend: TelegramFrontend) -> APIRouter:
    router = APIRouter()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        return await _handle(frontend, request)

    return router


async def _handle(frontend: TelegramFrontend, request: Request) -> Response:
    # The header is read directly rather than declared as a FastAPI Header parameter: the
    # parameter's validation was a third of the handler's CPU (bench/ingest_cpu.py).
    if not frontend.secret_matches(request.headers.get(SECRET_HEADER)):
        FORBIDDEN.inc()
        return Response(status_code=403)
    if not frontend.submitter.accepting:
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
        accepted = await frontend.accept_update(data)
    except StateUnavailable as exc:
        # Redis is down: not acknowledged, so Telegram re-sends it later. (Only if the
        # update's mark reached Redis with its reply lost and Redis stayed away past
        # orchestrator.runtime.REQUEST_MARK_RETRY_S is the re-sent copy taken for a repeat.)
        STATE_UNAVAILABLE.inc()
        log.error("update_not_accepted", update_id=update_id, error=repr(exc))
        return Response(status_code=503, headers={"Retry-After": "5"})
    if accepted:
        ACCEPTED.inc()
    else:
        DUPLICATE.inc()
        log.info("duplicate_update", update_id=update_id)
    return Response(status_code=200)
