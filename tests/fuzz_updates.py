"""Random Telegram Updates generated from the Bot API specification (bot-api.json).

Valid by construction: every required field, optional fields at random, values of the
declared JSON types, enumerated strings taken from the field's description. Biased
towards what the bot reads: commands with their entities, captions, replies, photos,
documents, and odd Unicode.
"""

from __future__ import annotations

import random
import re
from typing import Any

ODD_STRINGS = [
    "",
    " ",
    "\u202eevil rtl\u202c",
    "zero\u200bwidth\u200d",
    "🦊" * 40,
    "e\u0301\u0301\u0301",
    "\x00nul\x7f",
    "\ud83d",  # a lone surrogate: valid JSON escape, invalid Unicode
    "a" * 5000,
    "/",
    "@",
    "line\nbreak\r\n",
]
_QUOTED = re.compile(r"“?\"([a-z_]+)\"”?")


class UpdateFuzzer:
    def __init__(self, spec: dict[str, Any], rng: random.Random, bot_username: str) -> None:
        self.types: dict[str, Any] = spec["types"]
        self.rng = rng
        self.bot_username = bot_username
        fields = self.types["Update"]["fields"]
        self.update_kinds = [field["name"] for field in fields if field["name"] != "update_id"]

    # Generic values from the specification ------------------------------------------------

    def value(self, type_name: str, depth: int, description: str = "") -> Any:
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            return [self.value(inner, depth + 1) for _ in range(self.rng.randint(0, 2))]
        if type_name == "Integer":
            return self.rng.choice([0, 1, -1, 7, 2**31 - 1, -(2**52), self.rng.randint(1, 10**9)])
        if type_name == "Float":
            return self.rng.choice([0.0, -1.5, 1e300, self.rng.random()])
        if type_name == "Boolean":
            return self.rng.random() < 0.5
        if type_name == "True":
            return True
        if type_name == "String":
            return self.string(description)
        return self.object(type_name, depth)

    def string(self, description: str) -> str:
        choices = _QUOTED.findall(description)
        if choices and self.rng.random() < 0.85:
            return str(self.rng.choice(choices))
        return self.rng.choice([*ODD_STRINGS, self.command_text(), "hello"])

    def object(self, type_name: str, depth: int) -> Any:
        spec = self.types[type_name]
        if "subtypes" in spec:
            return self.value(self.rng.choice(spec["subtypes"]), depth)
        result: dict[str, Any] = {}
        optional_chance = 0.5 / (depth + 1) if depth < 4 else 0.0
        for field in spec.get("fields", []):
            if field["required"] or self.rng.random() < optional_chance:
                field_type = self.rng.choice(field["types"])
                result[field["name"]] = self.value(field_type, depth + 1, field["description"])
        return result

    # What the bot reads ---------------------------------------------------------------------

    def command_text(self) -> str:
        command = self.rng.choice(
            ["/generate", "/gen", "/imagine", "/edit", "/start", "/help", "/nope", "/generate@"]
        )
        if command.endswith("@"):
            command += self.rng.choice([self.bot_username, "other_bot", "", "🦊"])
        argument = self.rng.choice(["", " a red fox", " " + "x" * 600, " \u200b", " 🦊🦊", "\n\n"])
        return command + argument

    def command_message(self) -> dict[str, Any]:
        message = self.object("Message", 1)
        text = self.command_text()
        head = text.split(" ", 1)[0].split("\n", 1)[0]
        entity = {
            "type": "bot_command",
            "offset": self.rng.choice([0, 0, 0, 1]),
            "length": self.rng.choice([len(head.encode("utf-16-le")) // 2, 0, 999]),
        }
        if self.rng.random() < 0.3:
            message["caption"] = text
            message["caption_entities"] = [entity]
            message["photo"] = self.value("Array of PhotoSize", 1)
        else:
            message["text"] = text
            message["entities"] = [entity]
        if self.rng.random() < 0.5:
            reply = self.object("Message", 2)
            reply[self.rng.choice(["photo", "document", "text"])] = self.rng.choice(
                [self.value("Array of PhotoSize", 2), self.object("Document", 2), "words"]
            )
            message["reply_to_message"] = reply
        return message

    def update(self, update_id: int) -> dict[str, Any]:
        if self.rng.random() < 0.6:
            kind = self.rng.choice(["message", "edited_message", "message"])
            return {"update_id": update_id, kind: self.command_message()}
        kind = self.rng.choice(self.update_kinds)
        field = next(f for f in self.types["Update"]["fields"] if f["name"] == kind)
        return {"update_id": update_id, kind: self.value(field["types"][0], 0)}


def messages_in(value: Any) -> list[dict[str, Any]]:
    """Every Message-shaped object inside an update (with an id and a chat)."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if isinstance(value.get("message_id"), int) and isinstance(value.get("chat"), dict):
            found.append(value)
        for item in value.values():
            found.extend(messages_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(messages_in(item))
    return found
