"""``POST /api/v1/moderation/check``: the decision for a prompt, for operators and tools.
It is the job path's decision (``Moderator.check_prompt``): with a hosted classifier
configured, its verdict is part of it (``"hosted"`` in ``checks`` when it answered).

Guarded by ``Authorization: Bearer <MODERATION_API_KEY>`` (compared in constant time):
401 without it or with a wrong key. With no key configured the endpoint answers 404, as
if it did not exist: an unconfigured admin surface is off, not "unavailable" (503 would
invite retries and make monitors page). 503 while the moderator is not started.
The app provides the ``Moderator`` as ``app.state.moderator``.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from orchestrator.moderation.errors import ModeratorNotStarted
from orchestrator.moderation.models import Decision, Policy
from orchestrator.moderation.service import Moderator

router = APIRouter(prefix="/api/v1/moderation", tags=["moderation"])
_bearer = HTTPBearer(auto_error=False)
MAX_PROMPT_CHARS = 4000  # the largest MAX_PROMPT_CHARS the settings allow


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    policy: Policy = Policy.STANDARD


def _moderator(request: Request) -> Moderator:
    moderator: Moderator = request.app.state.moderator
    return moderator


def _authorized(
    moderator: Annotated[Moderator, Depends(_moderator)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    key = moderator.settings.moderation_api_key
    if key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, key.get_secret_value().encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.post("/check", dependencies=[Depends(_authorized)])
async def check(
    body: CheckRequest, moderator: Annotated[Moderator, Depends(_moderator)]
) -> Decision:
    try:
        return await moderator.check_prompt(body.prompt, body.policy)
    except ModeratorNotStarted:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "moderation is starting",
            headers={"Retry-After": "5"},
        ) from None
