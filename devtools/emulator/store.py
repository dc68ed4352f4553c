"""The emulator's state: chats, their messages, files, the webhook and the bot's commands."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import mimetypes
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from devtools.emulator.media import inspect_photo, photo_variants
from devtools.emulator.models import JSON, ApiError, BotEvent, WebhookConfig

_FILE_ID_PREFIX = {"photo": "AgAC", "document": "BQAC"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def commands_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
    """Where setMyCommands keeps a list: by scope (default: the default scope) and language."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def without_reply(message: JSON) -> JSON:
    """A message as it appears nested in ``reply_to_message`` (no reply of its own)."""
    return copy.deepcopy(
        {key: value for key, value in message.items() if key != "reply_to_message"}
    )


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    file_path: str
    kind: str
    """``photo`` (any size of one) or ``document``."""
    media: Any = None
    """The photo's list of PhotoSize (every size of it), or the Document."""

    def as_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class StarsLedger:
    """Telegram Stars: invoice payloads, pre-checkout queries handed to the bot (and its
    answers) and the charges made (``devtools.emulator.stars``)."""

    payloads: dict[tuple[int, int], str] = field(default_factory=dict)  # (chat, message)
    queries: dict[str, JSON] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)
    charges: dict[str, JSON] = field(default_factory=dict)  # charge id: the payment
    refunded: set[str] = field(default_factory=set)
    _query_ids: Iterator[int] = field(default_factory=lambda: itertools.count(9_100_001))
    _charges: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    def new_charge_number(self) -> int:
        return next(self._charges)


@dataclass
class InlineState:
    """Inline mode: queries handed to the bot (and the results it answered with) and the
    inline messages chosen results became, by ``inline_message_id``
    (``devtools.emulator.inline``)."""

    queries: dict[str, JSON] = field(default_factory=dict)
    answers: dict[str, list[JSON]] = field(default_factory=dict)
    messages: dict[str, JSON] = field(default_factory=dict)
    _query_ids: Iterator[int] = field(default_factory=lambda: itertools.count(5_300_000_001))
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    def new_message_id(self) -> str:
        return f"AgAAAEmulatorInline{next(self._message_ids):010d}"


class Store:
    """Everything the emulated Telegram knows, plus a hook reporting what the bot does."""

    def __init__(self, bot_user: JSON, emit: Callable[[BotEvent], None]) -> None:
        self.bot_user = bot_user
        self.emit = emit
        self.chats: dict[int, JSON] = {}
        self.chat_messages: dict[int, dict[int, JSON]] = {}
        self.files: dict[str, StoredFile] = {}
        self.paths: dict[str, StoredFile] = {}
        self.webhook: WebhookConfig | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.callback_queries: dict[str, bool] = {}
        self.stars = StarsLedger()
        self.inline = InlineState()
        self.chat_admins: dict[int, dict[int, JSON]] = {}  # chat id: user id: ChatMember
        self.descriptions: dict[str, str] = {}  # by language code ("": every language)
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}  # by chat id; None: the default
        # Per chat, per user id: their status ("creator", "administrator") and User.
        """Callback query ids handed to the bot, and whether it has answered each."""
        self._last_message_id: dict[int, int] = {}
        self.senders: set[int] = set()
        """Users who wrote in any chat: without a private chat, Telegram answers 403."""
        self._file_numbers = itertools.count(1)
        self._media_groups = itertools.count(13_000_000_000_000_001)
        self._update_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)
        self._callback_query_ids = itertools.count(4_200_000_000_000_000_001)

    # Chats -------------------------------------------------------------------------------

    def add_chat(self, chat: JSON) -> JSON:
        self.chats[chat["id"]] = chat
        self.chat_messages.setdefault(chat["id"], {})
        return chat

    def resolve_chat(self, chat_id: int | str) -> JSON:
        """The chat a ``chat_id`` parameter (an id or ``@username``) names."""
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == chat_id[1:].lower():
                    return chat
        if isinstance(chat_id, int) and chat_id in self.senders:  # never started the bot
            raise ApiError("Forbidden: bot can't initiate conversation with a user", 403)
        raise ApiError("chat not found")

    def new_group_id(self, supergroup: bool) -> int:
        number = next(self._group_ids)
        return -(1_000_000_000_000 + number) if supergroup else -(4_000_000_000 + number)

    def new_update_id(self) -> int:
        return next(self._update_ids)

    def new_media_group_id(self) -> str:
        return str(next(self._media_groups))

    def new_callback_query(self) -> str:
        query_id = str(next(self._callback_query_ids))
        self.callback_queries[query_id] = False
        return query_id

    # Messages ----------------------------------------------------------------------------

    def add_message(
        self,
        chat: JSON,
        sender: JSON,
        content: JSON,
        *,
        reply_to: JSON | None = None,
        quote: JSON | None = None,
    ) -> JSON:
        """Store a new message in ``chat`` (ids increase per chat, whoever sends)."""
        chat_id = chat["id"]
        if chat_id not in self.chats:
            self.add_chat(chat)
        if not sender.get("is_bot"):
            self.senders.add(sender["id"])
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = without_reply(reply_to)
        if quote is not None:
            message["quote"] = quote
        message.update(content)
        self.chat_messages[chat_id][message_id] = message
        return copy.deepcopy(message)

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        return self.chat_messages.get(chat_id, {}).get(message_id)

    def remove_message(self, chat_id: int, message_id: int) -> JSON | None:
        return self.chat_messages.get(chat_id, {}).pop(message_id, None)

    # Files -------------------------------------------------------------------------------

    def _add_file(self, data: bytes, kind: str, folder: str, extension: str) -> StoredFile:
        number = next(self._file_numbers)
        raw_id = number.to_bytes(6, "big") + secrets.token_bytes(12)
        file_id = _FILE_ID_PREFIX[kind] + base64.urlsafe_b64encode(raw_id).decode().rstrip("=")
        digest = hashlib.sha256(kind.encode() + data).digest()[:9]
        unique_id = "AQAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
        stored = StoredFile(file_id, unique_id, data, f"{folder}/file_{number}.{extension}", kind)
        self.files[file_id] = stored
        self.paths[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes) -> list[JSON]:
        """Store an uploaded photo; its PhotoSize list, smallest first (ApiError if invalid)."""
        info = inspect_photo(data)
        sizes: list[JSON] = []
        stored: list[StoredFile] = []
        for variant in photo_variants(data, info):
            full = variant.data is data
            extension = info.extension if full else "jpg"
            item = self._add_file(variant.data, "photo", "photos", extension)
            stored.append(item)
            sizes.append(
                {
                    "file_id": item.file_id,
                    "file_unique_id": item.file_unique_id,
                    "file_size": len(variant.data),
                    "width": variant.width,
                    "height": variant.height,
                }
            )
        for item in stored:
            item.media = sizes
        return copy.deepcopy(sizes)

    def add_document(self, data: bytes, file_name: str, mime_type: str | None) -> JSON:
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        extension = file_name.rsplit(".", 1)[1] if "." in file_name else "bin"
        extension = "".join(ch for ch in extension if ch.isalnum())[:10] or "bin"
        item = self._add_file(data, "document", "documents", extension)
        item.media = {
            "file_id": item.file_id,
            "file_unique_id": item.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        return copy.deepcopy(item.media)

    def file(self, file_id: str) -> StoredFile:
        try:
            return self.files[file_id]
        except KeyError:
            raise ApiError("invalid file_id") from None

    def reuse(self, file_id: str, kind: str) -> Any:
        """The PhotoSize list or Document of a known file sent again by its file_id."""
        if file_id.startswith(("http://", "https://")):
            raise ApiError(
                "wrong file identifier/HTTP URL specified (the emulator does not fetch URLs)"
            )
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise ApiError("type of file mismatch")
        return copy.deepcopy(stored.media)
