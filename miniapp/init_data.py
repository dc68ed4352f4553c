"""Telegram's ``initData``: who opened the Mini App, signed with a key from the bot token.

As Telegram documents it: the data-check string is every ``key=value`` pair except
``hash``, sorted by key, joined by newlines; the secret key is HMAC-SHA256 of the bot
token under the key ``WebAppData``; ``hash`` is the hex HMAC-SHA256 of the data-check
string under the secret key. ``auth_date`` (Unix time) bounds its age.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from fulmine.errors import InvalidInput

MAX_INIT_DATA_CHARS = 4096


class InvalidInitData(InvalidInput):
    """Missing, malformed, wrongly signed or too old: the request is refused (401)."""

    def __init__(self, detail: str) -> None:
        super().__init__("initData", detail)


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(pairs: dict[str, str]) -> str:
    return "\n".join(f"{key}={pairs[key]}" for key in sorted(pairs) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """``fields`` as a signed initData query string (what Telegram hands the page)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})


def verify(
    init_data: str, bot_token: str, max_age_s: float, now: float | None = None
) -> WebAppUser:
    """The user ``init_data`` names, once its signature and age are checked."""
    if not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
        raise InvalidInitData("missing or too long")
    try:
        pairs = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError as exc:
        raise InvalidInitData("malformed") from exc
    given = pairs.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(pairs).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), given):
        raise InvalidInitData("wrong signature")
    auth_date = pairs.get("auth_date", "")
    if not (auth_date.isascii() and auth_date.isdigit() and len(auth_date) <= 12):
        raise InvalidInitData("no auth_date")
    if (time.time() if now is None else now) - int(auth_date) > max_age_s:
        raise InvalidInitData("too old")
    try:
        user = json.loads(pairs["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInitData("no user") from exc
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InvalidInitData("no user")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name", ""))[:64],
        language_code=language[:8] if isinstance(language, str) else None,
        auth_date=int(auth_date),
    )
