"""``POST /telegram/webhook``: check the secret, parse, de-duplicate, answer at once.

Served in plain ASGI (``orchestrator.serving.endpoints``): every update Telegram sends
comes this way, and the answer is an empty 200 as soon as the update is taken.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import structlog
from starlette.types import Receive, Scope, Send

from orchestrator.serving.endpoints import answer, read_body
from orchestrator.serving.metrics import UPDATES
from state.errors import StateUnavailable

if TYPE_CHECKING:
    from bot.frontend import TelegramFrontend

log = structlog.get_logger(__name__)
PATH = "/telegram/webhook"
SECRET_HEADER = b"x-telegram-bot-api-secret-token"
RETRY_LATER = [(b"retry-after", b"5")]
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


class TelegramWebhook:
    """The webhook's ASGI endpoint."""

    def __init__(self, frontend: TelegramFrontend) -> None:
        self.frontend = frontend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await answer(send, 405, [(b"allow", b"POST")])
            return
        presented = next((v for k, v in scope["headers"] if k == SECRET_HEADER), None)
        if not self.frontend.secret_matches(presented):
            FORBIDDEN.inc()
            await answer(send, 403)
            return
        body = await read_body(receive)
        if body is None:  # the client went away: nobody to answer, Telegram sends it again
            log.info("client_gone_mid_request", path=PATH)
            return
        status, headers = await self._take(body)
        await answer(send, status, headers)

    async def _take(self, body: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
        frontend = self.frontend
        if not frontend.submitter.accepting:
            # Shutting down: Telegram re-sends what was not acknowledged, so nothing is lost.
            SHUTTING_DOWN.inc()
            return 503, RETRY_LATER
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            data = None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int:
            MALFORMED.inc()
            return 400, []
        try:
            accepted = await frontend.accept_update(data)
        except StateUnavailable as exc:
            # Redis is down: not acknowledged, so Telegram re-sends it later. (Only if the
            # update's mark reached Redis with its reply lost and Redis stayed away past
            # orchestrator.serving.intake.REQUEST_MARK_RETRY_S is the re-sent copy taken for a
            # repeat.)
            STATE_UNAVAILABLE.inc()
            log.error("update_not_accepted", update_id=update_id, error=repr(exc))
            return 503, RETRY_LATER
        if accepted:
            ACCEPTED.inc()
        else:
            DUPLICATE.inc()
            log.info("duplicate_update", update_id=update_id)
        return 200, []
