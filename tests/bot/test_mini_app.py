"""The Mini App in the chat: the menu button and ``/gallery`` (an https PUBLIC_URL only)."""

from __future__ import annotations

import pytest

from bot import texts
from tests.conftest import Stack

HTTPS = {"public_url": "https://bot.example.org"}


@pytest.mark.parametrize("settings_overrides", [HTTPS])
async def test_the_menu_button_opens_the_app(stack: Stack) -> None:
    (call,) = stack.emulator.calls_to("setChatMenuButton")
    assert call.params["menu_button"] == {
        "type": "web_app",
        "text": texts.text("mini_app_menu"),
        "web_app": {"url": "https://bot.example.org/app"},
    }


@pytest.mark.parametrize("settings_overrides", [{}, {"public_url": "http://127.0.0.1:8000"}])
async def test_no_menu_button_without_an_https_public_url(stack: Stack) -> None:
    assert stack.emulator.calls_to("setChatMenuButton") == []


@pytest.mark.parametrize("settings_overrides", [HTTPS])
async def test_gallery_sends_a_button_that_opens_the_app(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/gallery"))
    (sent,) = stack.emulator.calls_to("sendMessage")
    assert sent.params["text"] == texts.text("gallery_open")
    (row,) = sent.params["reply_markup"]["inline_keyboard"]
    assert row[0]["web_app"] == {"url": "https://bot.example.org/app"}


@pytest.mark.parametrize("settings_overrides", [HTTPS])
async def test_gallery_in_a_group_points_to_the_private_chat(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada")
    group = stack.emulator.group_chat()
    await stack.send(stack.emulator.user_message(group, user, text="/gallery"))
    (sent,) = stack.emulator.calls_to("sendMessage")
    assert sent.params["text"] == texts.text("gallery_private_only")
    assert "reply_markup" not in sent.params


async def test_gallery_without_the_app_says_so(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/gallery"))
    (sent,) = stack.emulator.calls_to("sendMessage")
    assert sent.params["text"] == texts.text("gallery_not_configured")
