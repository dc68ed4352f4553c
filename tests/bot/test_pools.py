"""Group pools end to end through the emulator, on memory and on Redis: a member funds the
pool, members draw from it before their own balance within the daily cap, /pool shows who
drew what, and an anonymous admin acts as the group."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from orchestrator.payments.service import PaymentService
from state.models import Balance
from tests.conftest import Stack

PRICE = 100


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"payments_backend": "fake", "price_generate_sats": PRICE}


def _payments(stack: Stack) -> PaymentService:
    assert stack.runtime.payments is not None
    return stack.runtime.payments


def _last_text(stack: Stack) -> str:
    return str(stack.emulator.calls_to("sendMessage")[-1].params["text"])


async def test_members_draw_from_the_pool_within_the_cap(stack: Stack) -> None:
    payments = _payments(stack)
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada, bob = emulator.user(1001, "Ada"), emulator.user(1002, "Bob")
    await payments.ledger.credit(ada["id"], "test-topup", 1000)

    await stack.send(emulator.user_message(group, ada, text="/fund 500"))
    assert _last_text(stack) == texts.text("fund_done", name="Ada", sats=500, pool=500, cap=10)
    assert await payments.balance(ada["id"]) == Balance(500, 0)
    await stack.send(emulator.user_message(group, ada, text="/allowance 1"))
    assert _last_text(stack) == texts.text("allowance_set", cap=1)

    await stack.send(emulator.user_message(group, bob, text="/generate a red fox"))
    assert stack.emulator.calls_to("sendPhoto")[-1].params["caption"].endswith("a red fox")
    assert await payments.balance(group["id"]) == Balance(400, 0)  # the pool paid
    assert await payments.balance(bob["id"]) == Balance(0, 0)

    # Bob's one image a day is drawn: his own (empty) balance is asked, the pool untouched.
    await stack.send(emulator.user_message(group, bob, text="/generate a blue fox"))
    assert len(await payments.ledger.pending_of(bob["id"])) == 1  # his invoice
    assert await payments.balance(group["id"]) == Balance(400, 0)

    await stack.send(emulator.user_message(group, bob, text="/allowance 5"))
    assert _last_text(stack) == texts.text("allowance_not_allowed")
    await stack.send(emulator.user_message(group, bob, text="/pool"))
    assert _last_text(stack) == "\n".join(
        [
            texts.text("pool_status", available=400, reserved=0, cap=1),
            texts.text("pool_used_line", name="Bob", images=1),
        ]
    )

    # Short, and without a private chat for the invoice: how to open one, nothing taken.
    await stack.send(emulator.user_message(group, ada, text="/fund 100000"))
    link = f"https://t.me/{emulator.bot_user['username']}"
    assert _last_text(stack) == texts.text("fund_needs_private_chat", name="Ada", link=link)
    assert await payments.balance(group["id"]) == Balance(400, 0)
    assert await payments.balance(ada["id"]) == Balance(500, 0)
    assert await payments.ledger.pending_of(ada["id"]) == []


async def test_an_anonymous_admin_acts_as_the_group(stack: Stack) -> None:
    payments = _payments(stack)
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    ada = emulator.user(1001, "Ada")
    await payments.ledger.credit(ada["id"], "test-topup", 300)
    await stack.send(emulator.user_message(group, ada, text="/fund 300"))
    anonymous = emulator.service_account("anonymous_admin")

    def as_group(text: str) -> dict[str, Any]:
        return emulator.user_message(group, anonymous, text=text, sender_chat=group)

    await stack.send(as_group("/fund 100"))
    assert _last_text(stack) == texts.text("fund_as_chat")
    await stack.send(as_group("/allowance 3"))
    assert _last_text(stack) == texts.text("allowance_set", cap=3)
    await stack.send(as_group("/generate a lighthouse"))
    assert await payments.balance(group["id"]) == Balance(200, 0)  # the group's own pool
    assert await payments.balance(anonymous["id"]) == Balance(0, 0)  # never a shared account


async def test_pool_commands_are_for_groups(stack: Stack) -> None:
    ada = stack.emulator.user(1001, "Ada")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/fund 100"))
    assert _last_text(stack) == texts.text("pool_groups_only")


async def test_a_group_admin_sets_the_allowance_without_funding(stack: Stack) -> None:
    payments = _payments(stack)
    emulator = stack.emulator
    group = emulator.group_chat(title="Artists")
    owner, admin, bob = (
        emulator.user(1001, "Ada"),
        emulator.user(1002, "Cy"),
        emulator.user(1003, "Bob"),
    )
    emulator.make_admin(group, owner, "creator")
    emulator.make_admin(group, admin)

    await stack.send(emulator.user_message(group, bob, text="/allowance 7"))
    assert _last_text(stack) == texts.text("allowance_not_allowed")
    assert await payments.pools.cap(group["id"]) == 10  # the default stands
    await stack.send(emulator.user_message(group, admin, text="/allowance 2"))
    assert _last_text(stack) == texts.text("allowance_set", cap=2)
    await stack.send(emulator.user_message(group, owner, text="/allowance 3"))
    assert _last_text(stack) == texts.text("allowance_set", cap=3)
    assert await payments.pools.cap(group["id"]) == 3
    asked = [call.params["user_id"] for call in emulator.calls_to("getChatMember")]
    assert asked == [bob["id"], admin["id"], owner["id"]]
