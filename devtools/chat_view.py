"""What ``fulmine chat`` prints: the bot's messages as a chat member sees them, each inline
button numbered for ``/press`` (``#12 [1] Regenerate  [2] Variations``: message 12's
buttons, counted across its rows)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from devtools.emulator import BotApiEmulator, BotEvent
from devtools.emulator.models import JSON

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
_BUTTON_KINDS = {"url": " (link)", "web_app": " (Mini App)", "login_url": " (link)"}


def keyboard(message: JSON | None) -> list[list[JSON]]:
    """The rows of inline buttons under ``message`` (none: [])."""
    rows: list[list[JSON]] = ((message or {}).get("reply_markup") or {}).get("inline_keyboard", [])
    return [row for row in rows if row]


def buttons(message: JSON | None) -> list[JSON]:
    """Its inline buttons in the order they are numbered: row by row, left to right."""
    return [button for row in keyboard(message) for button in row]


def button_lines(message: JSON) -> list[str]:
    """``#<message id> [1] A  [2] B`` and one line per further row, aligned under it."""
    head = f"#{message['message_id']} "
    lines: list[str] = []
    number = 0
    for row in keyboard(message):
        labels = []
        for button in row:
            number += 1
            kind = next((note for key, note in _BUTTON_KINDS.items() if key in button), "")
            labels.append(f"[{number}] {button.get('text', '')}{kind}")
        lines.append((head if not lines else " " * len(head)) + "  ".join(labels))
    return lines


class ChatPrinter:
    """Prints what the bot does; ``where(chat_id)`` names a chat other than the current
    one (``None``: the current one), so messages elsewhere say where they went."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        photo_dir: Path,
        out: TextIO,
        where: Callable[[int], str | None],
    ) -> None:
        self._emulator = emulator
        self._photo_dir = photo_dir
        self._out = out
        self._where = where
        self.last_photo: dict[int, int] = {}
        """The latest photo's message id, by chat."""

    def _save(self, file_id: str, extension: str) -> Path:
        self._photo_dir.mkdir(parents=True, exist_ok=True)
        number = len(list(self._photo_dir.glob("photo-*"))) + 1
        while (path := self._photo_dir / f"photo-{number:03d}.{extension}").exists():
            number += 1
        path.write_bytes(self._emulator.file_bytes(file_id))
        return path

    def show(self, event: BotEvent) -> None:
        message: dict[str, Any] = event.message or {}
        if event.kind not in ("message", "edit"):
            return
        prefix = "(edited) " if event.kind == "edit" else ""
        if event.kind == "message" and message.get("photo"):
            largest = message["photo"][-1]
            path = self._save(largest["file_id"], "png")
            self.last_photo[event.chat_id] = message["message_id"]
            size = f"{largest['width']}x{largest['height']}"
            self.say(event.chat_id, f"[photo {size}] saved to {path}")
        elif event.kind == "message" and message.get("document"):
            document = message["document"]
            found = _EXTENSION.search(document.get("file_name", ""))
            path = self._save(document["file_id"], found.group(1).lower() if found else "bin")
            self.say(event.chat_id, f"[file] saved to {path}")
        elif message.get("text"):
            self.say(event.chat_id, prefix + message["text"])
        else:
            return
        if caption := message.get("caption"):
            self.say(event.chat_id, f"  caption: {caption}")
        for line in button_lines(message):
            self.say(event.chat_id, f"  {line}")

    def say(self, chat_id: int, text: str) -> None:
        """The bot's words in a chat."""
        where = self._where(chat_id)
        speaker = "bot> " if where is None else f"bot ({where})> "
        for line in text.splitlines() or [""]:
            print(f"{speaker}{line}", file=self._out, flush=True)

    def note(self, text: str) -> None:
        """The chat's own remark, in parentheses."""
        print(f"({text})", file=self._out, flush=True)
