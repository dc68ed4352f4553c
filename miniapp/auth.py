"""Who is asking: every ``/app/api`` call carries Telegram's initData in
``Authorization: tma <initData>``; a wrong, missing or stale one is a 401 before anything
is read or changed."""

from __future__ import annotations

from fastapi import HTTPException, Request

from miniapp.init_data import InvalidInitData, WebAppUser, verify
from orchestrator.settings import Settings

SCHEME = "tma "


def user_of(request: Request, settings: Settings) -> WebAppUser:
    header = request.headers.get("authorization", "")
    if not header.startswith(SCHEME):
        raise HTTPException(401, "initData required")
    try:
        return verify(
            header[len(SCHEME) :],
            settings.telegram_bot_token.get_secret_value(),
            settings.miniapp_auth_max_age_s,
        )
    except InvalidInitData:
        raise HTTPException(401, "initData refused") from None


def require_admin(user: WebAppUser, settings: Settings) -> None:
    if user.id not in settings.admin_user_ids:
        raise HTTPException(403, "admins only")
