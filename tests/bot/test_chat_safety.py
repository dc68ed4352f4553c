"""A group's handling of flagged images, through the emulator: its admins choose in
/settings (buttons, or ``/settings spoiler``), within the operator's bound; a flagged
image is then sent behind a spoiler, as it is, or not at all; private chats keep the
operator's default; nobody else can change it."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from tests.conftest import BOT_USERNAME, Stack

GROUP_ID = -100900
# Thresholds below any score the image model gives: the placeholder's own drawing (P(nsfw)
# a few hundredths, varying with its seed) is flagged whatever the seed.
FLAG_IN_GROUPS = {"moderation_image_threshold_strict": 1e-9}
FLAG_EVERYWHERE = FLAG_IN_GROUPS | {"moderation_image_threshold": 1e-9}


def _people(stack: Stack) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An admin, a member and their group."""
    admin = stack.emulator.user(1001, "Ada", language_code="en")
    member = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(GROUP_ID, "Painters")
    stack.emulator.make_admin(group, admin)
    return admin, member, group


async def _say(stack: Stack, user: dict[str, Any], text: str, chat: Any, **extra: Any) -> str:
    """Send ``text``; the last thing the bot said in that chat."""
    await stack.send(stack.emulator.user_message(chat, user, text=text, **extra))
    return str(stack.emulator.calls_to("sendMessage")[-1].params["text"])


async def _press(
    stack: Stack, user: dict[str, Any], group: dict[str, Any], choice: str
) -> tuple[str, dict[str, Any]]:
    """``user`` asks for /settings in the group and presses ``choice``: the pop-up, and
    the settings message as it then stands."""
    await _say(stack, user, f"/settings@{BOT_USERNAME}", group)
    shown = stack.emulator.calls_to("sendMessage")[-1]
    press = stack.emulator.button_press(group, user, shown.result["message_id"], f"g:fl:{choice}")
    await stack.send(press)
    answer = stack.emulator.calls_to("answerCallbackQuery")[-1]
    edits = stack.emulator.calls_to("editMessageText")
    return str(answer.params.get("text")), (edits[-1].params if edits else {})


def _spoilered(stack: Stack) -> list[bool]:
    (photo,) = stack.emulator.calls_to("sendPhoto")
    return [bool(photo.params.get("has_spoiler"))]


@pytest.mark.parametrize("settings_overrides", [FLAG_IN_GROUPS])
async def test_a_group_set_to_spoiler_gets_flagged_images_behind_one(stack: Stack) -> None:
    admin, member, group = _people(stack)
    await _say(stack, admin, f"/settings@{BOT_USERNAME}", group)
    shown = stack.emulator.calls_to("sendMessage")[-1].params
    assert texts.text("flagged_block") in shown["text"]  # the operator's default
    row = shown["reply_markup"]["inline_keyboard"][-1]
    assert [b["callback_data"] for b in row] == ["g:fl:block", "g:fl:spoiler"]  # the bound

    popup, redrawn = await _press(stack, admin, group, "spoiler")
    assert popup == texts.text("flagged_saved", handling=texts.text("flagged_spoiler"))
    assert texts.text("flagged_spoiler") in redrawn["text"]

    await _say(stack, member, f"/generate@{BOT_USERNAME} a red fox", group)
    assert _spoilered(stack) == [True]

    await _say(stack, member, f"/generate@{BOT_USERNAME} two foxes --n 2", group)
    (album,) = stack.emulator.calls_to("sendMediaGroup")
    assert [item.get("has_spoiler") for item in album.params["media"]] == [True, True]


@pytest.mark.parametrize("settings_overrides", [FLAG_IN_GROUPS])
async def test_a_group_that_blocks_refuses_the_flagged_image(stack: Stack) -> None:
    admin, member, group = _people(stack)
    await _press(stack, admin, group, "spoiler")
    await _press(stack, admin, group, "block")
    await _say(stack, member, f"/generate@{BOT_USERNAME} a red fox", group)
    assert stack.emulator.calls_to("sendPhoto") == []
    told = stack.emulator.calls_to("editMessageText")[-1].params["text"]
    assert told == texts.text("failed_moderation_output")


@pytest.mark.parametrize("settings_overrides", [FLAG_IN_GROUPS])
async def test_a_member_cannot_change_it(stack: Stack) -> None:
    _, member, group = _people(stack)
    popup, _ = await _press(stack, member, group, "spoiler")
    assert popup == texts.text("flagged_admins_only")
    answer = await _say(stack, member, f"/settings@{BOT_USERNAME} spoiler", group)
    assert answer == texts.text("flagged_admins_only")
    await _say(stack, member, f"/generate@{BOT_USERNAME} a red fox", group)
    assert stack.emulator.calls_to("sendPhoto") == []  # still blocked


@pytest.mark.parametrize("settings_overrides", [FLAG_EVERYWHERE])
async def test_an_anonymous_admin_may_and_private_chats_keep_the_default(stack: Stack) -> None:
    admin, member, group = _people(stack)
    anonymous = stack.emulator.service_account("anonymous_admin")
    said = await _say(stack, anonymous, "/settings spoiler", group, sender_chat=group)
    assert said == texts.text("flagged_saved", handling=texts.text("flagged_spoiler"))
    beyond = await _say(stack, admin, "/settings allow", group)  # over the operator's bound
    assert beyond == texts.text("flagged_choices", value="allow", choices="block, spoiler")

    await _say(stack, member, "/generate a red fox", stack.emulator.private_chat(member))
    assert stack.emulator.calls_to("sendPhoto") == []  # private: the default, block
    await _say(stack, member, f"/generate@{BOT_USERNAME} a red fox", group)
    assert _spoilered(stack) == [True]


@pytest.mark.parametrize(
    "settings_overrides",
    [FLAG_IN_GROUPS | {"moderation_group_flagged_images_max": "allow"}],
)
async def test_within_a_wider_bound_a_group_may_allow(stack: Stack) -> None:
    admin, member, group = _people(stack)
    await _say(stack, admin, "/settings allow", group)
    await _say(stack, member, f"/generate@{BOT_USERNAME} a red fox", group)
    assert _spoilered(stack) == [False]
