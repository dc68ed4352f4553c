"""The message catalog: every word a Telegram user sees, keyed by id.

One JSON file per language in ``bot/locales``; adding a language means adding a file.
Texts are formatted with named fields. A user whose ``language_code`` has no file gets
English.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


@cache
def _catalog(language: str) -> dict[str, str]:
    path = resources.files("bot") / "locales" / f"{language}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    loaded: dict[str, str] = json.loads(text)
    return loaded


def available_languages() -> list[str]:
    folder = resources.files("bot") / "locales"
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def pick_language(language_code: str | None) -> str:
    """``pt-br`` → ``pt-br`` if there is a file, else ``pt``, else English."""
    # The code comes from the user's client: only a well-formed tag may name a file.
    if language_code and _LANGUAGE_TAG.fullmatch(language_code.lower()):
        code = language_code.lower()
        for candidate in (code, code.split("-")[0]):
            if _catalog(candidate):
                return candidate
    return DEFAULT_LANGUAGE


def field_names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, language_code: str | None = None, /, **fields: Any) -> str:
    language = pick_language(language_code)
    template = _catalog(language).get(key) or _catalog(DEFAULT_LANGUAGE)[key]
    return template.format(**fields)


def wait(seconds: float, language_code: str | None = None) -> str:
    """An estimated wait, as rounded as an estimate deserves: "40 s", "3 min"."""
    if seconds < 60:
        return text("wait_seconds", language_code, seconds=max(5, 5 * round(seconds / 5)))
    return text("wait_minutes", language_code, minutes=round(seconds / 60))
