"""``fulmine set-webhook`` / ``delete-webhook`` for the operator, printing what Telegram
answered (added to the ``fulmine`` command through the ``fulmine.commands`` entry point)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx

from bot.admin.menus import menu_calls
from bot.money.stars import stars_on
from orchestrator.settings import Settings

INLINE_UPDATES = ["inline_query", "chosen_inline_result"]


def allowed_updates(settings: Settings) -> list[str]:
    """Only what the bot handles as configured; an explicit list also stops Telegram from
    sending kinds a later version adds before the bot knows them."""
    kinds = ["message", "callback_query"]
    if stars_on(settings):
        kinds.append("pre_checkout_query")  # Stars: answered within Telegram's 10 s
    if settings.telegram_inline:
        kinds.extend(INLINE_UPDATES)
    return kinds


async def call_bot_api(settings: Settings, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST one Bot API method and return Telegram's JSON answer, whatever its status.

    The URL carries the token, so it is never logged or put into an error message.
    """
    url = f"{settings.telegram_api_base_url}{settings.telegram_bot_token.get_secret_value()}"
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            response = await client.post(f"{url}/{method}", json=payload)
        except httpx.HTTPError as exc:
            raise ConnectionError(
                f"could not reach the Bot API at {settings.telegram_api_base_url}: "
                f"{type(exc).__name__}"
            ) from None
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {"ok": False, "error_code": response.status_code, "description": "not JSON"}
    return answer


async def set_webhook(settings: Settings) -> dict[str, Any]:
    return await call_bot_api(
        settings,
        "setWebhook",
        {
            "url": settings.webhook_url,
            "secret_token": settings.telegram_webhook_secret.get_secret_value(),
            "allowed_updates": allowed_updates(settings),
        },
    )


async def set_menus(settings: Settings) -> dict[str, Any]:
    """The command menus and descriptions (``bot.admin.menus``): the first refusal, else ok."""
    for method, params in menu_calls(settings):
        answer = await call_bot_api(settings, method, params)
        if not answer.get("ok"):
            return answer
    return {"ok": True, "result": True}


async def delete_webhook(settings: Settings) -> dict[str, Any]:
    return await call_bot_api(settings, "deleteWebhook", {})


def _print_answer(answer: dict[str, Any]) -> int:
    print(f"Telegram answered: {json.dumps(answer)}")
    return 0 if answer.get("ok") else 1


def _set_webhook(args: argparse.Namespace) -> int:
    settings = Settings()  # type: ignore[call-arg]  # values come from the environment
    print(f"Setting the webhook to {settings.webhook_url}")
    if _print_answer(asyncio.run(set_webhook(settings))) != 0:
        return 1
    print("Setting the command menus and descriptions")
    return _print_answer(asyncio.run(set_menus(settings)))


def _delete_webhook(args: argparse.Namespace) -> int:
    settings = Settings()  # type: ignore[call-arg]
    return _print_answer(asyncio.run(delete_webhook(settings)))


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "set-webhook", help="point Telegram at PUBLIC_URL/telegram/webhook"
    ).set_defaults(run=_set_webhook)
    commands.add_parser(
        "delete-webhook", help="stop Telegram sending updates to the webhook"
    ).set_defaults(run=_delete_webhook)
