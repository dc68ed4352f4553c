"""A banned user gets one line for every command, message and button; admins' /help."""

from __future__ import annotations

from typing import Any

from bot import texts
from tests.conftest import BOT_USERNAME, Stack, png_bytes

ADMIN = 42


def _user(stack: Stack, user_id: int = 1001, name: str = "Ada") -> dict[str, Any]:
    return stack.emulator.user(user_id, name, language_code="en")


def _texts(stack: Stack, chat_id: int) -> list[str]:
    calls = stack.emulator.calls_to("sendMessage")
    return [call.params["text"] for call in calls if call.params["chat_id"] == chat_id]


async def _ban(stack: Stack, user_id: int) -> None:
    admin = _user(stack, ADMIN, "Root")
    chat = stack.emulator.private_chat(admin)
    await stack.send(stack.emulator.user_message(chat, admin, text=f"/ban {user_id}"))


async def test_a_banned_user_gets_one_line_for_everything(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a tree"))
    (result,) = stack.emulator.calls_to("sendPhoto")
    await _ban(stack, 1001)

    for text in ("/start", "/help", "/generate a fox", "/generate", "/balance", "/nope", "hi"):
        await stack.send(stack.emulator.user_message(chat, user, text=text))
    await stack.send(stack.emulator.user_message(chat, user, photo=png_bytes()))
    assert _texts(stack, 1001)[-8:] == [texts.text("moderation_banned")] * 8
    assert len(stack.emulator.calls_to("sendPhoto")) == 1

    (row, *_) = result.params["reply_markup"]["inline_keyboard"]
    press = stack.emulator.button_press(
        chat, user, result.result["message_id"], row[0]["callback_data"]
    )
    await stack.send(press)
    (answer,) = stack.emulator.calls_to("answerCallbackQuery")
    assert answer.params["text"] == texts.text("moderation_banned")
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


async def test_a_banned_user_in_a_group_is_answered_only_when_addressed(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100800, "Painters")
    await _ban(stack, 1001)
    await stack.send(stack.emulator.user_message(group, user, text="just chatting"))
    await stack.send(stack.emulator.user_message(group, user, text="/generate@other_bot a cat"))
    assert _texts(stack, -100800) == []
    await stack.send(stack.emulator.user_message(group, user, text=f"/help@{BOT_USERNAME}"))
    assert _texts(stack, -100800) == [texts.text("moderation_banned")]


async def test_admins_help_lists_the_admin_commands_in_private_only(stack: Stack) -> None:
    admin, user = _user(stack, ADMIN, "Root"), _user(stack)
    group = stack.emulator.group_chat(-100801, "Painters")
    await stack.send(
        stack.emulator.user_message(stack.emulator.private_chat(admin), admin, text="/help")
    )
    await stack.send(
        stack.emulator.user_message(stack.emulator.private_chat(user), user, text="/help")
    )
    await stack.send(stack.emulator.user_message(group, admin, text=f"/help@{BOT_USERNAME}"))
    (admins,) = _texts(stack, ADMIN)
    (users,) = _texts(stack, 1001)
    (in_group,) = _texts(stack, -100801)
    assert admins.endswith(texts.text("help_admin"))
    assert "/ban" in admins
    assert "/ban" not in users
    assert "/ban" not in in_group
