"""Chat members in the emulator: getChatMember and getChatAdministrators.

A group's creator and administrators are set by the test (``UserSide.make_admin``); every
other user who is asked about is a plain member (Telegram answers "member" for anyone in
the chat, and the emulator does not track who joined). In a private chat its user is the
"creator" of it, as a private chat has no admins.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from devtools.emulator.models import JSON, ApiError, UploadedFile
from devtools.emulator.store import Store

# Every right a ChatMemberAdministrator must state, all granted.
ADMIN_RIGHTS = (
    "can_be_edited",
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


def member_object(user: JSON, status: str) -> JSON:
    """The ChatMember object Telegram returns for ``user`` with ``status``."""
    member: JSON = {"status": status, "user": copy.deepcopy(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {"is_anonymous": False, **dict.fromkeys(ADMIN_RIGHTS, True)}
        member["can_be_edited"] = False
    return member


def get_chat_member(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    user_id = params["user_id"]
    if chat["type"] == "channel":
        raise ApiError("Bad Request: member list is inaccessible")
    if chat["type"] == "private":
        if user_id != chat["id"]:
            raise ApiError("Bad Request: user not found")
        user = {"id": user_id, "is_bot": False, "first_name": chat.get("first_name", "")}
        return member_object(user, "creator")
    plain = {"id": user_id, "is_bot": False, "first_name": str(user_id)}
    status, user = store.members.get(chat["id"], {}).get(user_id, ("member", plain))
    return member_object(user, status)


def get_chat_administrators(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> list[JSON]:
    chat = store.resolve_chat(params["chat_id"])
    if chat["type"] in ("private", "channel"):
        raise ApiError("Bad Request: there are no administrators in the private chat")
    return [
        member_object(user, status)
        for status, user in store.members.get(chat["id"], {}).values()
        if status in ("creator", "administrator")
    ]


HANDLERS = {
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
}
