"""The emulator's Telegram Stars: invoices in XTR only, a pre-checkout query answered once,
a payment only after a confirmed check, each charge refunded once, descriptions kept."""

from __future__ import annotations

import pytest
import telegram
from telegram import LabeledPrice
from telegram.error import BadRequest

from devtools.emulator import BotApiEmulator


async def test_invoices_are_in_stars_without_a_provider(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    chat = emulator.private_chat(emulator.user(7, "Ada"))
    price = [LabeledPrice("Credit", 5)]
    with pytest.raises(BadRequest, match=r"(?i)XTR"):
        await bot.send_invoice(chat["id"], "t", "d", "p", "EUR", price, provider_token="x")
    with pytest.raises(BadRequest, match=r"(?i)provider token"):
        await bot.send_invoice(chat["id"], "t", "d", "p", "XTR", price, provider_token="x")
    with pytest.raises(BadRequest, match=r"(?i)TITLE"):
        await bot.send_invoice(chat["id"], "t" * 33, "d", "p", "XTR", price)
    with pytest.raises(BadRequest, match=r"(?i)PAYLOAD"):
        await bot.send_invoice(chat["id"], "t", "d", "p" * 129, "XTR", price)
    sent = await bot.send_invoice(chat["id"], "t", "d", "secret-payload", "XTR", price)
    assert sent.invoice is not None
    assert sent.invoice.total_amount == 5
    assert "secret-payload" not in str(emulator.get_message(chat["id"], sent.message_id))


async def test_a_payment_needs_a_confirmed_check_and_refunds_once(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada = emulator.user(7, "Ada")
    chat = emulator.private_chat(ada)
    sent = await bot.send_invoice(chat["id"], "t", "d", "p", "XTR", [LabeledPrice("C", 5)])
    refused = emulator.pre_checkout(chat, ada, sent.message_id)["pre_checkout_query"]
    assert refused["invoice_payload"] == "p"
    with pytest.raises(BadRequest, match=r"(?i)error_message"):
        await bot.answer_pre_checkout_query(refused["id"], ok=False)
    assert await bot.answer_pre_checkout_query(refused["id"], ok=False, error_message="No")
    with pytest.raises(BadRequest, match=r"(?i)QUERY_ID_INVALID"):
        await bot.answer_pre_checkout_query(refused["id"], ok=True)
    with pytest.raises(ValueError, match="not confirmed"):
        emulator.successful_payment(refused["id"])

    query = emulator.pre_checkout(chat, ada, sent.message_id)["pre_checkout_query"]
    await bot.answer_pre_checkout_query(query["id"], ok=True)
    paid = emulator.successful_payment(query["id"])["message"]["successful_payment"]
    charge = paid["telegram_payment_charge_id"]
    assert paid["total_amount"] == 5
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(8, charge)
    assert await bot.refund_star_payment(7, charge)
    assert emulator.star_refunded(charge)
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(7, charge)


async def test_descriptions_are_kept_per_language(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    assert await bot.set_my_description("Draws")
    assert await bot.set_my_short_description("Dibuja", language_code="es")
    assert emulator.store.descriptions == {"": "Draws"}
    assert emulator.store.short_descriptions == {"es": "Dibuja"}
    with pytest.raises(BadRequest, match=r"(?i)SHORT_DESCRIPTION"):
        await bot.set_my_short_description("x" * 121)
