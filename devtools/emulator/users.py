"""The user side: users, chats and the messages people send, shaped as Telegram sends them."""

from __future__ import annotations

import copy
import re
from typing import Literal

from devtools.emulator.models import JSON, ApiError
from devtools.emulator.store import Store

_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")
SUPERGROUP_PREFIX = "-100"
"""Supergroup ids read -100xxxxxxxxxx; basic group ids are other negative numbers."""


def make_user(
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = "en",
    is_premium: bool = False,
) -> JSON:
    """A (human) User object."""
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    optional = {"last_name": last_name, "username": username, "language_code": language_code}
    user.update({key: value for key, value in optional.items() if value is not None})
    if is_premium:
        user["is_premium"] = True
    return user


def make_private_chat(user: JSON) -> JSON:
    """The private Chat between ``user`` and the bot (its id is the user's id)."""
    chat: JSON = {"id": user["id"], "type": "private"}
    chat.update({key: user[key] for key in ("username", "first_name", "last_name") if key in user})
    return chat


# The accounts Telegram sends as ``from`` when a message speaks for a chat: an anonymous
# group admin (sender_chat: the group), a post "as the channel" in a group (sender_chat:
# the channel) and a linked channel's automatic forward (sender_chat: the channel).
SERVICE_ACCOUNTS = {
    "anonymous_admin": (1087968824, "Group", "GroupAnonymousBot"),
    "channel": (136817688, "Channel", "Channel_Bot"),
    "linked_channel": (777000, "Telegram", None),
}


def service_account(kind: Literal["anonymous_admin", "channel", "linked_channel"]) -> JSON:
    user_id, first_name, username = SERVICE_ACCOUNTS[kind]
    account: JSON = {"id": user_id, "is_bot": kind != "linked_channel", "first_name": first_name}
    if username is not None:
        account["username"] = username
    return account


def make_channel_chat(chat_id: int, title: str) -> JSON:
    if not str(chat_id).startswith(SUPERGROUP_PREFIX):
        raise ValueError("channel ids start with -100")
    return {"id": chat_id, "type": "channel", "title": title}


def make_group_chat(
    chat_id: int, title: str, kind: Literal["group", "supergroup"] | None = None
) -> JSON:
    """A group Chat; ``kind`` defaults to what the id says (-100... ids are supergroups)."""
    if chat_id >= 0:
        raise ValueError("group chat ids are negative")
    if kind is None:
        kind = "supergroup" if str(chat_id).startswith(SUPERGROUP_PREFIX) else "group"
    return {"id": chat_id, "type": kind, "title": title}


def command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entity of a leading ``/command`` or ``/command@botname``."""
    found = _LEADING_COMMAND.match(text)
    if not found:
        return []
    return [{"type": "bot_command", "offset": 0, "length": found.end()}]


def build_user_message(
    store: Store,
    chat: JSON,
    from_user: JSON,
    *,
    text: str | None = None,
    caption: str | None = None,
    photo: bytes | None = None,
    document: tuple[bytes, str, str] | None = None,
    reply_to_message_id: int | None = None,
    media_group_id: str | None = None,
    sender_chat: JSON | None = None,
) -> JSON:
    """Store a message ``from_user`` sends in ``chat`` and return it (ValueError on misuse).

    ``sender_chat``: the chat the message is sent on behalf of; Telegram then sends one of
    its service accounts as ``from_user`` (see :func:`service_account`)."""
    media = [kind for kind, value in (("photo", photo), ("document", document)) if value]
    if len(media) > 1 or (text is not None and media):
        raise ValueError("a message has text, or one photo or document (with a caption)")
    if media_group_id is not None and not media:
        raise ValueError("only a photo or a document can be part of an album")
    if caption is not None and not media:
        raise ValueError("a caption needs a photo or a document")
    if text is None and not media:
        raise ValueError("a message needs text, a photo or a document")
    if chat["type"] == "private" and chat["id"] != from_user["id"]:
        raise ValueError("in a private chat only its user writes to the bot")
    reply_to = None
    if reply_to_message_id is not None:
        reply_to = store.message(chat["id"], reply_to_message_id)
        if reply_to is None:
            raise ValueError(f"chat {chat['id']} has no message {reply_to_message_id}")
    content: JSON = {}
    if text is not None:
        content["text"] = text
        if entities := command_entities(text):
            content["entities"] = entities
    if photo is not None:
        try:
            content["photo"] = store.add_photo(photo)
        except ApiError as exc:
            raise ValueError(f"Telegram would not take this photo: {exc.description}") from exc
    if document is not None:
        data, file_name, mime_type = document
        content["document"] = store.add_document(data, file_name, mime_type)
    if caption:
        content["caption"] = caption
        if entities := command_entities(caption):
            content["caption_entities"] = entities
    if media_group_id is not None:
        content["media_group_id"] = media_group_id
    if sender_chat is not None:
        content["sender_chat"] = sender_chat
    return store.add_message(chat, from_user, content, reply_to=reply_to)


def build_button_press(
    store: Store, chat: JSON, from_user: JSON, message_id: int, data: str
) -> JSON:
    """The CallbackQuery of ``from_user`` pressing the button with ``data`` under a message.

    ValueError unless the message is there and carries an inline button with that data
    (Telegram only sends data the bot put on a button).
    """
    message = store.message(chat["id"], message_id)
    if message is None:
        raise ValueError(f"chat {chat['id']} has no message {message_id}")
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    if not any(button.get("callback_data") == data for row in keyboard for button in row):
        raise ValueError(f"message {message_id} has no inline button with data {data!r}")
    return {
        "id": store.new_callback_query(),
        "from": from_user,
        "message": copy.deepcopy(message),
        "chat_instance": str(-7_000_000_000_000_000_000 + abs(chat["id"])),
        "data": data,
    }
