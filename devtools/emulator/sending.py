"""The send* methods: sendMessage, sendPhoto, sendDocument and sendMediaGroup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devtools.emulator.media import UPLOAD_MAX_BYTES
from devtools.emulator.models import JSON, ApiError, BotEvent, UploadedFile
from devtools.emulator.params import ATTACH
from devtools.emulator.store import Store, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
Files = Mapping[str, UploadedFile]


def bot_sender(store: Store) -> JSON:
    """The bot as the ``from`` of its messages (getMe's extra fields are getMe-only)."""
    keys = ("id", "is_bot", "first_name", "last_name", "username")
    return {key: store.bot_user[key] for key in keys if key in store.bot_user}


def check_text(text: str) -> None:
    stripped = text.strip()
    if not stripped:
        raise ApiError("message text is empty")
    if utf16_len(stripped) > MAX_TEXT:
        raise ApiError("message is too long")


def caption_fields(params: Mapping[str, Any]) -> JSON:
    """Caption, caption_entities and show_caption_above_media for a media message."""
    caption = params.get("caption")
    if caption is None or not caption.strip():
        return {}
    if utf16_len(caption.strip()) > MAX_CAPTION:
        raise ApiError("message caption is too long")
    fields: JSON = {"caption": caption}
    if params.get("caption_entities"):
        fields["caption_entities"] = params["caption_entities"]
    if params.get("show_caption_above_media"):
        fields["show_caption_above_media"] = True
    return fields


def message_extras(params: Mapping[str, Any]) -> JSON:
    extras: JSON = {}
    if params.get("protect_content"):
        extras["has_protected_content"] = True
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        extras["reply_markup"] = markup  # Message.reply_markup holds inline keyboards only
    return extras


def reply_target(
    store: Store, chat: JSON, params: Mapping[str, Any]
) -> tuple[JSON | None, JSON | None]:
    """The message being replied to (or None) and the TextQuote, from reply_parameters."""
    wanted: JSON | None = params.get("reply_parameters")
    if wanted is None and "reply_to_message_id" in params:  # legacy, if the spec lists it
        wanted = {
            "message_id": params["reply_to_message_id"],
            "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
        }
    if wanted is None:
        return None, None
    if "chat_id" in wanted and store.resolve_chat(wanted["chat_id"])["id"] != chat["id"]:
        raise ApiError("replies to other chats are not supported by the emulator")
    target = store.message(chat["id"], wanted["message_id"])
    if target is None:
        if wanted.get("allow_sending_without_reply"):
            return None, None
        raise ApiError("message to be replied not found")
    quote: JSON | None = None
    if wanted.get("quote"):
        source = str(target.get("text") or target.get("caption") or "")
        position = source.find(wanted["quote"])
        if position < 0:
            raise ApiError("QUOTE_TEXT_INVALID")
        quote = {"text": wanted["quote"], "position": utf16_len(source[:position])}
        quote["is_manual"] = True
    return target, quote


def post(store: Store, chat: JSON, content: JSON, params: Mapping[str, Any]) -> JSON:
    """Store a bot message replying as ``params`` ask, and report it."""
    target, quote = reply_target(store, chat, params)
    message = store.add_message(
        chat, bot_sender(store), {**content, **message_extras(params)}, reply_to=target, quote=quote
    )
    store.emit(BotEvent("message", chat["id"], message=message, message_id=message["message_id"]))
    return message


def _upload(value: UploadedFile) -> UploadedFile:
    if len(value.data) > UPLOAD_MAX_BYTES:
        raise ApiError("Request Entity Too Large", code=413)
    return value


def photo_sizes(store: Store, value: UploadedFile | str) -> list[JSON]:
    if isinstance(value, UploadedFile):
        return store.add_photo(_upload(value).data)
    sizes: list[JSON] = store.reuse(value, "photo")
    return sizes


def document_of(store: Store, value: UploadedFile | str) -> JSON:
    if isinstance(value, UploadedFile):
        upload = _upload(value)
        return store.add_document(upload.data, upload.filename or "document", upload.content_type)
    document: JSON = store.reuse(value, "document")
    return document


def send_message(store: Store, params: Mapping[str, Any], files: Files) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    check_text(params["text"])
    content: JSON = {"text": params["text"]}
    if params.get("entities"):
        content["entities"] = params["entities"]
    return post(store, chat, content, params)


def send_photo(store: Store, params: Mapping[str, Any], files: Files) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    content = caption_fields(params)
    content["photo"] = photo_sizes(store, params["photo"])
    if params.get("has_spoiler"):
        content["has_media_spoiler"] = True
    return post(store, chat, content, params)


def send_document(store: Store, params: Mapping[str, Any], files: Files) -> JSON:
    chat = store.resolve_chat(params["chat_id"])
    content = caption_fields(params)
    content["document"] = document_of(store, params["document"])
    return post(store, chat, content, params)


def _attached(value: str, files: Files) -> UploadedFile | str:
    if not value.startswith(ATTACH):
        return value
    name = value[len(ATTACH) :]
    if name not in files:
        raise ApiError(f"can't find the file attached as {value}")
    return files[name]


def send_media_group(store: Store, params: Mapping[str, Any], files: Files) -> list[JSON]:
    chat = store.resolve_chat(params["chat_id"])
    media: list[JSON] = params["media"]
    if not 2 <= len(media) <= 10:
        raise ApiError("wrong number of messages in the media group: must be 2-10")
    kinds = {item["type"] for item in media}
    if kinds - {"photo", "document"}:
        unsupported = ", ".join(sorted(kinds - {"photo", "document"}))
        raise ApiError(f"media of type {unsupported} is not supported by the emulator")
    if "document" in kinds and len(kinds) > 1:
        raise ApiError("documents can't be mixed with other media in a media group")
    target, quote = reply_target(store, chat, params)  # checked before anything is stored
    contents: list[JSON] = []
    for item in media:
        content = caption_fields(item)
        source = _attached(item["media"], files)
        if item["type"] == "photo":
            content["photo"] = photo_sizes(store, source)
            if item.get("has_spoiler"):
                content["has_media_spoiler"] = True
        else:
            content["document"] = document_of(store, source)
        contents.append(content)
    group_id = store.new_media_group_id()
    messages = []
    for content in contents:
        message = store.add_message(
            chat,
            bot_sender(store),
            {"media_group_id": group_id, **content, **message_extras(params)},
            reply_to=target,
            quote=quote,
        )
        store.emit(
            BotEvent("message", chat["id"], message=message, message_id=message["message_id"])
        )
        messages.append(message)
    return messages
