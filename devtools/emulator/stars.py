"""Telegram Stars in the emulator: sendInvoice, answerPreCheckoutQuery, refundStarPayment,
and the user's side of paying (the ``pre_checkout_query`` and ``successful_payment``
Updates), shaped and checked as the Bot API documents them for digital goods in ``XTR``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from devtools.emulator import sending
from devtools.emulator.models import JSON, ApiError, BotEvent, UploadedFile
from devtools.emulator.store import Store, utf16_len

STARS = "XTR"
TITLE_MAX = 32
DESCRIPTION_MAX = 255
PAYLOAD_MAX_BYTES = 128
STARS_MAX = 10_000  # the most Stars one invoice may ask for
PRE_CHECKOUT_ANSWER_S = 10.0  # Telegram cancels a payment not confirmed in time


def send_invoice(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    if params["currency"] != STARS:
        raise ApiError("the emulator sells digital goods only: currency must be XTR")
    if params.get("provider_token"):
        raise ApiError("CURRENCY_INVALID: payments in Telegram Stars take no provider token")
    title, description, payload = params["title"], params["description"], params["payload"]
    if not 1 <= utf16_len(title) <= TITLE_MAX:
        raise ApiError("INVOICE_TITLE_EMPTY" if not title else "INVOICE_TITLE_TOO_LONG")
    if not 1 <= utf16_len(description) <= DESCRIPTION_MAX:
        raise ApiError("INVOICE_DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= PAYLOAD_MAX_BYTES:
        raise ApiError("INVOICE_PAYLOAD_INVALID")
    prices = params["prices"]
    if len(prices) != 1:
        raise ApiError("an invoice in Telegram Stars has exactly one price")
    amount = prices[0]["amount"]
    if not 1 <= amount <= STARS_MAX:
        raise ApiError("STARS_INVOICE_INVALID")
    if params.get("max_tip_amount") or params.get("suggested_tip_amounts"):
        raise ApiError("tips are not supported in Telegram Stars")
    reply_to, _ = sending.reply_target(store, chat, params)
    content: JSON = {
        "invoice": {
            "title": title,
            "description": description,
            "start_parameter": params.get("start_parameter", ""),
            "currency": STARS,
            "total_amount": amount,
        },
        **sending.message_extras(params),
    }
    message = store.add_message(chat, sending.bot_sender(store), content, reply_to=reply_to)
    # The payload is never shown in the chat; the emulator keeps it to build the payment.
    store.stars.payloads[chat["id"], message["message_id"]] = payload  # never shown
    store.emit(BotEvent("message", chat["id"], message=message))
    return message


def answer_pre_checkout_query(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    stars = store.stars
    query_id = params["pre_checkout_query_id"]
    if query_id not in stars.queries or query_id in stars.answers:
        raise ApiError("QUERY_ID_INVALID")
    if not params["ok"] and not params.get("error_message"):
        raise ApiError("error_message is required when ok is false")
    stars.answers[query_id] = bool(params["ok"])
    return True


def refund_star_payment(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    stars = store.stars
    charge_id = params["telegram_payment_charge_id"]
    charge = stars.charges.get(charge_id)
    if charge is None or charge["user_id"] != params["user_id"]:
        raise ApiError("CHARGE_NOT_FOUND")
    if charge_id in stars.refunded:
        raise ApiError("CHARGE_ALREADY_REFUNDED")
    stars.refunded.add(charge_id)
    return True


HANDLERS = {
    "sendInvoice": send_invoice,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}


# The user's side -------------------------------------------------------------------------


def pre_checkout_update(store: Store, chat: JSON, from_user: JSON, message_id: int) -> JSON:
    """The ``pre_checkout_query`` Update of ``from_user`` pressing Pay under an invoice."""
    message = store.message(chat["id"], message_id)
    if message is None or "invoice" not in message:
        raise ValueError(f"chat {chat['id']} has no invoice {message_id}")
    stars = store.stars
    query_id = stars.new_query_id()
    query: JSON = {
        "id": query_id,
        "from": from_user,
        "currency": message["invoice"]["currency"],
        "total_amount": message["invoice"]["total_amount"],
        "invoice_payload": stars.payloads[chat["id"], message_id],
    }
    stars.queries[query_id] = {"chat": chat, "query": query}
    return {"update_id": store.new_update_id(), "pre_checkout_query": copy.deepcopy(query)}


def payment_update(store: Store, query_id: str) -> JSON:
    """The ``successful_payment`` service message Telegram sends once the bot confirmed
    the pre-checkout query (ValueError when it did not, or refused it)."""
    stars = store.stars
    if stars.answers.get(query_id) is not True:
        raise ValueError(f"pre-checkout query {query_id} was not confirmed")
    entry = stars.queries[query_id]
    query = entry["query"]
    charge_id = f"stxEmulator{stars.new_charge_number():08d}"
    payment: JSON = {
        "currency": query["currency"],
        "total_amount": query["total_amount"],
        "invoice_payload": query["invoice_payload"],
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": "",
    }
    stars.charges[charge_id] = {"user_id": query["from"]["id"], **payment}
    message = store.add_message(entry["chat"], query["from"], {"successful_payment": payment})
    return {"update_id": store.new_update_id(), "message": message}
