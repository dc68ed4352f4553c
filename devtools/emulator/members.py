"""Chat members in the emulator: getChatMember, getChatAdministrators, and who administers
a group.

A group's owner and administrators are set from the user side
(:meth:`~devtools.emulator.user_side.UserSide.make_admin`); anyone else who wrote in the
chat is a member, a user the emulator met elsewhere has left it, and an id it never met is
"user not found", as on Telegram. In a private chat the user is its member.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from devtools.emulator.models import JSON, ApiError, UploadedFile
from devtools.emulator.store import Store

AdminStatus = Literal["creator", "administrator"]

# ChatMemberAdministrator's required rights (the specification's), all granted but
# can_be_edited (the bot did not promote them); those of channels left out.
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def chat_member(user: JSON, status: AdminStatus, is_anonymous: bool = False) -> JSON:
    """The ChatMemberOwner or ChatMemberAdministrator of ``user``."""
    member: JSON = {"status": status, "user": copy.deepcopy(user), "is_anonymous": is_anonymous}
    if status == "administrator":
        member["can_be_edited"] = False
        member.update(dict.fromkeys(ADMIN_RIGHTS, True))
    return member


def set_admin(store: Store, chat: JSON, user: JSON, status: AdminStatus) -> None:
    if chat["type"] not in ("group", "supergroup"):
        raise ValueError("only a group has administrators")
    if chat["id"] not in store.chats:
        store.add_chat(chat)
    store.chat_admins.setdefault(chat["id"], {})[user["id"]] = chat_member(user, status)


def _wrote_in(store: Store, chat_id: int, user_id: int) -> JSON | None:
    for message in store.chat_messages.get(chat_id, {}).values():
        if message.get("from", {}).get("id") == user_id:
            return dict(message["from"])
    return None


def _met(store: Store, user_id: int) -> JSON | None:
    for admins in store.chat_admins.values():
        if user_id in admins:
            return dict(admins[user_id]["user"])
    for chat_id in store.chat_messages:
        found = _wrote_in(store, chat_id, user_id)
        if found is not None:
            return found
    return None


def get_chat_member(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    user_id = params["user_id"]
    admin = store.chat_admins.get(chat["id"], {}).get(user_id)
    if admin is not None:
        return copy.deepcopy(admin)
    if user_id == store.bot_user["id"]:
        user = {key: store.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}
        return {"status": "member", "user": user}
    if chat["type"] == "private" and user_id == chat["id"]:
        user = {"id": user_id, "is_bot": False, "first_name": chat.get("first_name", "")}
        return {"status": "member", "user": _wrote_in(store, chat["id"], user_id) or user}
    here = _wrote_in(store, chat["id"], user_id)
    if here is not None:
        return {"status": "member", "user": here}
    elsewhere = _met(store, user_id)
    if elsewhere is not None:
        return {"status": "left", "user": elsewhere}
    raise ApiError("user not found")


def get_chat_administrators(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> list[JSON]:
    chat = store.resolve_chat(params["chat_id"])
    if chat["type"] in ("private", "channel"):
        raise ApiError("Bad Request: there are no administrators in the private chat")
    return [copy.deepcopy(member) for member in store.chat_admins.get(chat["id"], {}).values()]


HANDLERS = {
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
}
