"""The true sender: an anonymous group admin, a post as a channel or a linked channel's
forward arrive from shared service accounts; credits, limits, cool-downs and bans are kept
per chat they speak for, never shared between strangers."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from providers.payments.fake import FakePaymentBackend
from tests.conftest import Stack

PRICE = 100


def _group(stack: Stack, title: str) -> dict[str, Any]:
    return stack.emulator.group_chat(title=title)


def _anonymous(stack: Stack, group: dict[str, Any], text: str) -> dict[str, Any]:
    admin = stack.emulator.service_account("anonymous_admin")
    return stack.emulator.user_message(group, admin, text=text, sender_chat=group)


def _photos(stack: Stack) -> int:
    return len(stack.emulator.calls_to("sendPhoto"))


@pytest.mark.parametrize(
    "settings_overrides", [{"payments_backend": "fake", "price_generate_sats": PRICE}]
)
async def test_credits_bought_by_one_groups_anonymous_admin_stay_with_that_group(
    stack: Stack,
) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    assert isinstance(payments.backend, FakePaymentBackend)
    group_a, group_b = _group(stack, "A"), _group(stack, "B")

    await stack.send(_anonymous(stack, group_a, f"/buy {3 * PRICE}"))
    (pending,) = await payments.ledger.pending_invoices()
    webhook = payments.backend.mark_paid(pending.invoice_id)
    response = await stack.http.post(
        f"{stack.url}/payments/fake/webhook", content=webhook.body, headers=webhook.headers
    )
    assert response.status_code == 200
    await stack.runtime.wait_idle()
    assert (await payments.balance(group_a["id"])).available_sats == 3 * PRICE
    assert (await payments.balance(1087968824)).available_sats == 0  # not the shared account

    stack.emulator.calls.clear()
    await stack.send(_anonymous(stack, group_b, "/generate a mooncake"))
    (invoice,) = stack.emulator.calls_to("sendPhoto")  # B is asked to pay: a QR code
    assert str(PRICE) in invoice.params["caption"]
    assert (await payments.balance(group_a["id"])).available_sats == 3 * PRICE

    stack.emulator.calls.clear()
    await stack.send(_anonymous(stack, group_a, "/generate a mooncake"))
    assert _photos(stack) == 1  # A's own credits paid for it
    assert (await payments.balance(group_a["id"])).available_sats == 2 * PRICE


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_per_minute": 1}])
async def test_rate_limits_are_per_chat_spoken_for(stack: Stack) -> None:
    group_a, group_b = _group(stack, "A"), _group(stack, "B")
    await stack.send(_anonymous(stack, group_a, "/generate a kite"))
    await stack.send(_anonymous(stack, group_b, "/generate a kite"))
    assert _photos(stack) == 2  # one each: not one shared minute for every anonymous admin
    await stack.send(_anonymous(stack, group_a, "/generate another kite"))
    assert _photos(stack) == 2
    refused = stack.emulator.calls_to("sendMessage")[-1].params["text"]
    assert refused.startswith(texts.text("rate_limited_user", seconds=1).split("{")[0][:40])


async def test_a_ban_of_one_channel_does_not_silence_the_others(stack: Stack) -> None:
    group = _group(stack, "Readers")
    loud, quiet = stack.emulator.channel("Loud"), stack.emulator.channel("Quiet")
    as_channel = stack.emulator.service_account("channel")
    assert await stack.runtime.moderation_records.ban(loud["id"])

    await stack.send(
        stack.emulator.user_message(group, as_channel, text="/generate a drum", sender_chat=loud)
    )
    assert _photos(stack) == 0
    assert stack.emulator.calls_to("sendMessage")[-1].params["text"] == texts.text(
        "moderation_banned"
    )
    await stack.send(
        stack.emulator.user_message(group, as_channel, text="/generate a harp", sender_chat=quiet)
    )
    assert _photos(stack) == 1


@pytest.mark.parametrize(
    "settings_overrides", [{"moderation_repeat_blocks": 2, "moderation_groups": "standard"}]
)
async def test_moderation_cool_downs_are_per_chat_spoken_for(stack: Stack) -> None:
    group_a, group_b = _group(stack, "A"), _group(stack, "B")
    forward = stack.emulator.service_account("linked_channel")
    channel_a, channel_b = stack.emulator.channel("News A"), stack.emulator.channel("News B")
    for _ in range(2):
        await stack.send(
            stack.emulator.user_message(
                group_a, forward, text="/generate naked child", sender_chat=channel_a
            )
        )
    await stack.send(
        stack.emulator.user_message(
            group_b, forward, text="/generate a lamp", sender_chat=channel_b
        )
    )
    assert _photos(stack) == 1  # channel B is not throttled for channel A's blocks


async def test_anonymous_admins_are_not_the_bots_admins(stack: Stack) -> None:
    """Telegram hides who wrote it: /stats is refused even if an admin did."""
    group = _group(stack, "Ops")
    await stack.send(_anonymous(stack, group, "/stats"))
    assert not stack.emulator.calls_to("sendPhoto")
