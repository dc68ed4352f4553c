"""The emulator's chat members, driven through python-telegram-bot: a group's owner and
administrators as set from the user side, members who wrote in it, users who left it,
unknown users refused."""

from __future__ import annotations

import pytest
import telegram
from telegram import ChatMemberAdministrator, ChatMemberOwner
from telegram.error import BadRequest

from devtools.emulator import BotApiEmulator


async def test_a_group_knows_its_admins_and_members(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada, bob, cy = emulator.user(1, "Ada"), emulator.user(2, "Bob"), emulator.user(3, "Cy")
    group, other = emulator.group_chat(title="Artists"), emulator.group_chat(title="Other")
    emulator.make_admin(group, ada, "creator")
    emulator.make_admin(group, bob)
    emulator.user_message(group, cy, text="hello")
    emulator.user_message(other, bob, text="hi")

    owner = await bot.get_chat_member(group["id"], ada["id"])
    assert isinstance(owner, ChatMemberOwner)
    assert owner.user.first_name == "Ada"
    admin = await bot.get_chat_member(group["id"], bob["id"])
    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.can_restrict_members
    assert (await bot.get_chat_member(group["id"], cy["id"])).status == "member"
    assert (await bot.get_chat_member(other["id"], bob["id"])).status == "member"
    assert (await bot.get_chat_member(other["id"], ada["id"])).status == "left"
    bot_member = await bot.get_chat_member(group["id"], emulator.bot_user["id"])
    assert bot_member.status == "member"
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(group["id"], 999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat_member(-42, ada["id"])


async def test_only_groups_have_admins(emulator: BotApiEmulator) -> None:
    ada = emulator.user(1, "Ada")
    with pytest.raises(ValueError, match="group"):
        emulator.make_admin(emulator.private_chat(ada), ada)
