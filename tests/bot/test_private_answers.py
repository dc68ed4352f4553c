"""No balance, invoice or receipt is posted into a group: it goes to the sender's private
chat, or the group is told how to open one."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from tests.conftest import BOT_USERNAME, Stack

PAID = {"payments_backend": "fake", "price_generate_sats": 100, "price_edit_sats": 150}
GROUP = -100970
LINK = f"https://t.me/{BOT_USERNAME}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(PAID)


def _texts(stack: Stack, chat_id: int) -> list[str]:
    calls = stack.emulator.calls_to("sendMessage")
    return [str(c.params["text"]) for c in calls if c.params["chat_id"] == chat_id]


async def test_balance_in_a_group_goes_to_the_private_chat(stack: Stack) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    stack.emulator.private_chat(ada)  # Ada has started the bot
    group = stack.emulator.group_chat(GROUP, "Painters")
    await stack.send(stack.emulator.user_message(group, ada, text=f"/balance@{BOT_USERNAME}"))

    (in_group,) = _texts(stack, GROUP)
    assert in_group == texts.text("sent_privately", name="Ada")
    (private,) = _texts(stack, 1001)
    assert private.startswith(texts.text("balance", credits="0 sats"))


async def test_a_user_who_never_started_the_bot_is_told_how(stack: Stack) -> None:
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(GROUP, "Painters")
    await stack.send(stack.emulator.user_message(group, bob, text=f"/balance@{BOT_USERNAME}"))
    (in_group,) = _texts(stack, GROUP)
    assert in_group == texts.text("private_chat_needed", link=LINK)
    assert "sats" not in in_group


async def test_buy_in_a_group_sends_no_invoice_there(stack: Stack) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    group = stack.emulator.group_chat(GROUP, "Painters")
    await stack.send(stack.emulator.user_message(group, ada, text=f"/buy@{BOT_USERNAME} 1000"))
    assert _texts(stack, GROUP) == [texts.text("buy_in_private", link=LINK)]
    assert stack.emulator.calls_to("sendPhoto") == []  # no QR code in the group
    assert stack.runtime.payments is not None
    assert await stack.runtime.payments.ledger.pending_of(1001) == []
