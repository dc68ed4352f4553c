"""The part of the Bot API specification the emulator implements, bundled with the package.

``bot_api_subset.json`` holds the methods in :data:`IMPLEMENTED_METHODS` and every type
their parameters reference, transitively (fields and subtypes), copied verbatim from the
machine-readable specification. Regenerate it with::

    python -m devtools.emulator.spec PATH/TO/bot-api.json
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

IMPLEMENTED_METHODS: tuple[str, ...] = (
    "getMe",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "sendChatAction",
    "editMessageText",
    "deleteMessage",
    "getFile",
    "answerCallbackQuery",
    "sendInvoice",
    "answerPreCheckoutQuery",
    "refundStarPayment",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "getChatMenuButton",
    "answerInlineQuery",
    "editMessageMedia",
    "getChatMember",
    "getChatAdministrators",
)
PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "True"})
SUBSET_FILE = "bot_api_subset.json"
ARRAY = "Array of "
_DISCRIMINATOR = re.compile(r"^[^.]*?, (?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?$")


def element_type(type_expr: str) -> tuple[int, str]:
    """``"Array of Array of X"`` -> ``(2, "X")``."""
    depth = 0
    while type_expr.startswith(ARRAY):
        type_expr = type_expr[len(ARRAY) :]
        depth += 1
    return depth, type_expr


def _named_types(type_exprs: Iterable[str]) -> Iterator[str]:
    for expr in type_exprs:
        name = element_type(expr)[1]
        if name not in PRIMITIVES:
            yield name


def build_subset(
    full: dict[str, Any], methods: Sequence[str] = IMPLEMENTED_METHODS
) -> dict[str, Any]:
    """The subset of ``full`` (the whole specification) that ``methods`` need."""
    all_types: dict[str, Any] = full["types"]
    pending = [
        name
        for method in methods
        for param in full["methods"][method].get("fields", [])
        for name in _named_types(param["types"])
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name not in all_types:
            raise KeyError(f"the specification references an unknown type {name!r}")
        seen.add(name)
        entry = all_types[name]
        pending.extend(_named_types(t for f in entry.get("fields", []) for t in f["types"]))
        pending.extend(entry.get("subtypes", []))
    return {
        "version": full["version"],
        "release_date": full.get("release_date"),
        "methods": {method: full["methods"][method] for method in methods},
        "types": {name: all_types[name] for name in sorted(seen)},
    }


@cache
def load_subset() -> dict[str, Any]:
    """The bundled subset (parsed once)."""
    text = (resources.files(__package__) / SUBSET_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class ApiSpec:
    """Look-ups over a specification (the bundled subset by default)."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.data = spec if spec is not None else load_subset()
        self.methods: dict[str, Any] = self.data["methods"]
        self.types: dict[str, Any] = self.data["types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    @property
    def version(self) -> str:
        return str(self.data["version"])

    def canonical_method(self, name: str) -> str | None:
        """The spec's spelling of a method name matched case-insensitively, or None."""
        return self._by_lower.get(name.lower())

    def params(self, method: str) -> dict[str, dict[str, Any]]:
        return {param["name"]: param for param in self.methods[method].get("fields", [])}

    def fields(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {field["name"]: field for field in self.types[type_name].get("fields", [])}

    def subtypes(self, type_name: str) -> list[str]:
        return list(self.types[type_name].get("subtypes", []))

    def discriminator(self, type_name: str) -> tuple[str, str] | None:
        """``("type", "photo")`` for InputMediaPhoto: the field and value naming the kind."""
        for field in self.types[type_name].get("fields", []):
            if field["required"] and field["types"] == ["String"]:
                found = _DISCRIMINATOR.search(field["description"])
                if found:
                    return field["name"], found.group(1)
        return None


def write_subset(full_spec_path: Path, target: Path | None = None) -> Path:
    full = json.loads(full_spec_path.read_text(encoding="utf-8"))
    target = target or Path(__file__).with_name(SUBSET_FILE)
    text = json.dumps(build_subset(full), indent=1, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m devtools.emulator.spec FULL_SPEC [OUTPUT]`` (default: the bundled file)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (1, 2):
        print(
            "usage: python -m devtools.emulator.spec PATH/TO/bot-api.json [OUTPUT]",
            file=sys.stderr,
        )
        return 2
    target = write_subset(Path(args[0]), Path(args[1]) if len(args) == 2 else None)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
