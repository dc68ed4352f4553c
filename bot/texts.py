"""The message catalog: every word a Telegram user sees, keyed by id.

One JSON file per language in ``bot/locales``; adding a language means adding a file.
Texts are formatted with named fields. A user whose ``language_code`` has no file gets
the file of its bare language (``de-at`` → ``de``); a bare language with no file of its
own gets that language's one regional file, when there is exactly one (``pt`` and
``pt-pt`` → ``pt-br``); anything else gets English.

A text that says a number of things is a JSON object of CLDR plural forms, with
``"count"`` naming the field that picks the form::

    "images_left": {"count": "n", "one": "{n} image left", "other": "{n} images left"}

Each language lists the forms its plural rules use (Babel's ``Locale.plural_form``):
English ``one``/``other``, Russian and Ukrainian ``one``/``few``/``many``/``other``,
Spanish, French, Italian and Portuguese also ``many`` (for millions).
"""

from __future__ import annotations

import json
import math
import re
import string
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale

DEFAULT_LANGUAGE = "en"
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


PLURAL_FIELD = "count"
Template = str | dict[str, str]


@cache
def _catalog(language: str) -> dict[str, Template]:
    path = resources.files("bot") / "locales" / f"{language}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    loaded: dict[str, Template] = json.loads(text)
    return loaded


@cache
def babel_locale(language: str) -> Locale:
    """The Babel locale of a catalog's language tag (``pt-br`` → ``pt_BR``)."""
    return Locale.parse(language, sep="-")


def plural_forms(language: str) -> set[str]:
    """The plural forms a language's texts must give (always including ``other``)."""
    return set(babel_locale(language).plural_form.tags) | {"other"}


def plural_form(language: str, number: float) -> str:
    """CLDR's plural form of ``number`` in ``language``: ``one``, ``few``, ``other``…"""
    form: str = babel_locale(language).plural_form(abs(number))
    return form


def templates(template: Template) -> list[str]:
    """Every string a text may format to (one, or one per plural form)."""
    if isinstance(template, str):
        return [template]
    return [value for form, value in template.items() if form != PLURAL_FIELD]


@cache
def _language_files() -> tuple[str, ...]:
    folder = resources.files("bot") / "locales"
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
        )
    )


def available_languages() -> list[str]:
    """Every language with a file, by tag (``de``, ``pt-br``), English included."""
    return list(_language_files())


def pick_language(language_code: str | None) -> str:
    """``pt-br`` → ``pt-br`` if there is a file, else ``pt``, else the one regional
    ``pt-…`` file, else English."""
    # The code comes from the user's client: only a well-formed tag may name a file.
    if language_code and _LANGUAGE_TAG.fullmatch(language_code.lower()):
        code = language_code.lower()
        bare = code.split("-")[0]
        for candidate in (code, bare):
            if _catalog(candidate):
                return candidate
        regional = [name for name in available_languages() if name.startswith(f"{bare}-")]
        if len(regional) == 1:
            return regional[0]
    return DEFAULT_LANGUAGE


def field_names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, language_code: str | None = None, /, **fields: Any) -> str:
    language = pick_language(language_code)
    template = _catalog(language).get(key)
    if not template:
        language, template = DEFAULT_LANGUAGE, _catalog(DEFAULT_LANGUAGE)[key]
    if isinstance(template, dict):
        form = plural_form(language, fields[template[PLURAL_FIELD]])
        template = template.get(form) or template["other"]
    return template.format(**fields)


def wait(seconds: float, language_code: str | None = None) -> str:
    """An estimated wait, as rounded as an estimate deserves: "40 s", "3 min"."""
    if seconds < 60:
        return text("wait_seconds", language_code, seconds=max(5, 5 * round(seconds / 5)))
    return text("wait_minutes", language_code, minutes=round(seconds / 60))


def duration(seconds: float, language_code: str | None = None) -> str:
    """A length of time said plainly, to the minute, rounded up: "45 minutes", "1 hour",
    "2 hours 5 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    said_hours = text("duration_hours", language_code, hours=hours) if hours else ""
    said_minutes = text("duration_minutes", language_code, minutes=minutes) if minutes else ""
    if said_hours and said_minutes:
        return text("duration_both", language_code, hours=said_hours, minutes=said_minutes)
    return said_hours or said_minutes
