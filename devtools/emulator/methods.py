"""The Bot API methods the emulator implements, by their specification name."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from devtools.emulator import inline, members, sending, stars
from devtools.emulator.media import DOWNLOAD_MAX_BYTES
from devtools.emulator.models import JSON, ApiError, BotEvent, UploadedFile, WebhookConfig
from devtools.emulator.store import Store, commands_key, utf16_len

Handler = Callable[[Store, Mapping[str, Any], Mapping[str, UploadedFile]], Any]

CHAT_ACTIONS = (
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
)
"""The actions sendChatAction's documentation lists."""

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CALLBACK_ANSWER_MAX = 200  # characters of an answerCallbackQuery notification
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def get_me(store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> JSON:
    return dict(store.bot_user)


def set_webhook(store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> bool:
    url: str = params["url"]
    if not url:
        store.webhook = None
        return True
    if not url.startswith(("https://", "http://")):  # real Telegram insists on https
        raise ApiError("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise ApiError("secret token contains unallowed characters")
    max_connections = params.get("max_connections")
    if max_connections is not None and not 1 <= max_connections <= 100:
        raise ApiError("bad webhook: max_connections must be between 1 and 100")
    allowed = params.get("allowed_updates")
    previous = store.webhook.allowed_updates if store.webhook else None
    store.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        allowed_updates=tuple(allowed) if allowed is not None else previous,
        max_connections=max_connections,
        ip_address=params.get("ip_address"),
        has_custom_certificate="certificate" in params,
    )
    return True


def delete_webhook(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    store.webhook = None
    return True


def get_webhook_info(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON:
    hook = store.webhook
    if hook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    info: JSON = {
        "url": hook.url,
        "has_custom_certificate": hook.has_custom_certificate,
        "pending_update_count": 0,
        "max_connections": hook.max_connections or 40,
    }
    if hook.ip_address:
        info["ip_address"] = hook.ip_address
    if hook.allowed_updates is not None:
        info["allowed_updates"] = list(hook.allowed_updates)
    return info


def set_my_commands(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    commands: list[JSON] = params["commands"]
    if len(commands) > 100:
        raise ApiError("too many commands: at most 100 can be set")
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise ApiError("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise ApiError("BOT_COMMAND_DESCRIPTION_INVALID")
    key = commands_key(params.get("scope"), params.get("language_code", ""))
    store.commands[key] = copy.deepcopy(commands)
    return True


DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120


def set_my_description(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    text = params.get("description", "")
    if utf16_len(text) > DESCRIPTION_MAX:
        raise ApiError("BOT_DESCRIPTION_INVALID")
    store.descriptions[params.get("language_code", "")] = text
    return True


def set_my_short_description(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    text = params.get("short_description", "")
    if utf16_len(text) > SHORT_DESCRIPTION_MAX:
        raise ApiError("BOT_SHORT_DESCRIPTION_INVALID")
    store.short_descriptions[params.get("language_code", "")] = text
    return True


def send_chat_action(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    chat = store.resolve_chat(params["chat_id"])
    if params["action"] not in CHAT_ACTIONS:
        raise ApiError("wrong parameter action in request")
    store.emit(BotEvent("chat_action", chat["id"], action=params["action"]))
    return True


def edit_message_text(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON | bool:
    if "inline_message_id" in params:
        return inline.edit_inline_text(store, params)
    if "rich_message" in params:
        raise ApiError("rich messages are not supported by the emulator")
    for name in ("chat_id", "message_id", "text"):
        if name not in params:
            raise ApiError(f"{name} is required")
    chat = store.resolve_chat(params["chat_id"])
    message = store.message(chat["id"], params["message_id"])
    if message is None:
        raise ApiError("message to edit not found")
    if message["from"]["id"] != store.bot_user["id"]:
        raise ApiError("message can't be edited")
    if "text" not in message:
        raise ApiError("there is no text in the message to edit")
    sending.check_text(params["text"])
    markup = sending.message_extras({"reply_markup": params.get("reply_markup")})
    new = {"text": params["text"], "entities": params.get("entities"), **markup}
    new = {key: value for key, value in new.items() if value}
    old = {key: message[key] for key in ("text", "entities", "reply_markup") if key in message}
    if old == new:
        raise ApiError(NOT_MODIFIED)
    for key in old:
        del message[key]
    message.update(new)
    message["edit_date"] = int(time.time())
    edited = copy.deepcopy(message)
    store.emit(BotEvent("edit", chat["id"], message=edited, message_id=edited["message_id"]))
    return edited


def delete_message(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    chat = store.resolve_chat(params["chat_id"])
    if store.remove_message(chat["id"], params["message_id"]) is None:
        raise ApiError("message to delete not found")
    store.emit(BotEvent("delete", chat["id"], message_id=params["message_id"]))
    return True


def answer_callback_query(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    query_id = params["callback_query_id"]
    if store.callback_queries.get(query_id) is not False:  # unknown, or answered already
        raise ApiError("query is too old and response timeout expired or query ID is invalid")
    if utf16_len(params.get("text") or "") > CALLBACK_ANSWER_MAX:
        raise ApiError("MESSAGE_TOO_LONG")
    store.callback_queries[query_id] = True
    return True


def set_chat_menu_button(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> bool:
    """A private chat's menu button (no chat: the default of every chat without its own)."""
    chat_id = params.get("chat_id")
    if chat_id is not None:
        chat = store.resolve_chat(chat_id)
        if chat["type"] != "private":
            raise ApiError("chat not found")
        chat_id = chat["id"]
    button: JSON = copy.deepcopy(params.get("menu_button") or {"type": "default"})
    if button["type"] == "web_app" and not button["web_app"]["url"].startswith("https://"):
        raise ApiError("BUTTON_URL_INVALID")  # Telegram opens Mini Apps over HTTPS only
    store.menu_buttons[chat_id] = button
    return True


def get_chat_menu_button(
    store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> JSON:
    chat_id = params.get("chat_id")
    if chat_id is not None:
        chat_id = store.resolve_chat(chat_id)["id"]
    found = store.menu_buttons.get(chat_id) or store.menu_buttons.get(None)
    return copy.deepcopy(found or {"type": "default"})


def get_file(store: Store, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> JSON:
    stored = store.file(params["file_id"])
    if len(stored.data) > DOWNLOAD_MAX_BYTES:
        raise ApiError("file is too big")
    return stored.as_file()


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "sendMessage": sending.send_message,
    "sendPhoto": sending.send_photo,
    "sendDocument": sending.send_document,
    "sendMediaGroup": sending.send_media_group,
    "sendChatAction": send_chat_action,
    "editMessageText": edit_message_text,
    "deleteMessage": delete_message,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
    "setMyDescription": set_my_description,
    "setMyShortDescription": set_my_short_description,
    **stars.HANDLERS,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    **inline.HANDLERS,
    **members.HANDLERS,
}
