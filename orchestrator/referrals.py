"""Referrals: who brought a user, kept with the user's settings (memory or Redis).

A front end hands over what its deep link carried (Telegram: ``/start ref_<id>``). The
first referrer recorded stays; a user never refers themselves.
"""

from __future__ import annotations

from state.base import StateStore

REFERRED_BY = "referred_by"


async def record_referral(store: StateStore, user_id: int, referrer_id: int) -> bool:
    """Record ``referrer_id`` as who brought ``user_id``; True when recorded now."""
    if referrer_id <= 0 or referrer_id == user_id:
        return False
    saved = await store.get_user_settings(user_id)
    if saved.get(REFERRED_BY):
        return False
    await store.set_user_settings(user_id, {REFERRED_BY: str(referrer_id)})
    return True


async def referrer_of(store: StateStore, user_id: int) -> int | None:
    """Who brought ``user_id``, if anyone was recorded."""
    saved = (await store.get_user_settings(user_id)).get(REFERRED_BY, "")
    return int(saved) if saved.isascii() and saved.isdigit() else None
