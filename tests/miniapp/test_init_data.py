"""Telegram's initData check, as Telegram documents it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest

from miniapp.init_data import InvalidInitData, verify
from tests.conftest import BOT_TOKEN
from tests.miniapp.conftest import init_data


def test_a_signed_init_data_names_its_user() -> None:
    user = verify(init_data(1001), BOT_TOKEN, 3600)
    assert (user.id, user.first_name, user.language_code) == (1001, "Ada", "en")


def test_the_signature_is_telegrams() -> None:
    """Computed here from the documentation, independently of the module's own signing."""
    auth_date = str(int(time.time()))
    fields = {"auth_date": auth_date, "user": json.dumps({"id": 7, "first_name": "B"})}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", BOT_TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert verify(urlencode({**fields, "hash": digest}), BOT_TOKEN, 60).id == 7


@pytest.mark.parametrize(
    "forged",
    [
        "",
        init_data(1001, token="123456789:ANOTHER-bot-token"),
        init_data(1001).replace("1001", "1002"),
        urlencode({k: v for k, v in parse_qsl(init_data(1001)) if k != "hash"}),
        "hash=" + "0" * 64,
        "x" * 5000,
    ],
)
def test_forged_or_missing_is_refused(forged: str) -> None:
    with pytest.raises(InvalidInitData):
        verify(forged, BOT_TOKEN, 3600)


def test_too_old_is_refused() -> None:
    stale = init_data(1001, auth_date=time.time() - 7200)
    assert verify(stale, BOT_TOKEN, 7300).id == 1001
    with pytest.raises(InvalidInitData):
        verify(stale, BOT_TOKEN, 3600)
