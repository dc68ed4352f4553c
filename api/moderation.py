"""``POST /api/v1/moderation/check`` where the HTTP API runs: public, so that apps can tell
their users before they pay whether a prompt would be refused, and rate-limited per client
like every API request. The answer is the job path's decision (``Moderator.check_prompt``)
without the matched terms, which only the admin key sees (``Authorization: Bearer
<MODERATION_API_KEY>``, compared in constant time; a wrong key is a 401). Without the API
front end the route is the orchestrator's admin-only one (``orchestrator.moderation.api``).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from api.clients import limit_client
from api.errors import ApiError, ApiRoute
from orchestrator.moderation.errors import ModeratorNotStarted
from orchestrator.moderation.models import Decision, Policy
from orchestrator.moderation.service import Moderator

if TYPE_CHECKING:
    from api.frontend import ApiFrontend


class ModerationOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    policy: Policy = Policy.STANDARD


def moderation_router(front: ApiFrontend) -> APIRouter:
    settings = front.settings
    router = APIRouter(prefix="/moderation", tags=["moderation"], route_class=ApiRoute)

    def admin(authorization: str | None) -> bool:
        """True for the admin key; False for no credentials; 401 for anything else."""
        if authorization is None:
            return False
        key = settings.moderation_api_key
        scheme, _, given = authorization.partition(" ")
        if (
            key is not None
            and scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode(), key.get_secret_value().encode())
        ):
            return True
        raise ApiError(401, "invalid_key", "a valid bearer key is required")

    @router.post("/check")
    async def check(
        order: ModerationOrder,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Would this prompt be refused? The decision and its category (matched terms
        with the admin key only)."""
        full = admin(authorization)
        if not full:
            await limit_client(settings, front.submitter, request)
            if len(order.prompt) > settings.max_prompt_chars:
                raise ApiError(
                    400, "prompt_too_long", f"at most {settings.max_prompt_chars} characters"
                )
        moderator: Moderator = request.app.state.moderator
        try:
            decision: Decision = await moderator.check_prompt(order.prompt, order.policy)
        except ModeratorNotStarted:
            raise ApiError(
                503, "starting", "moderation is starting", {"Retry-After": "5"}
            ) from None
        return decision.model_dump(mode="json", exclude=None if full else {"matched"})

    return router
