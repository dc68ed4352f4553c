"""Options written into a command: ``/generate a fox --ar 16:9 --seed 42 --n 2``.

Options may stand anywhere in the text, as ``--name value`` or ``--name=value``; phones
that turn ``--`` into a dash (``—ar``) are understood too. What is left is the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.user_input import parse_number, quoted
from state.models import JobKind

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9", "9:21")
MAX_IMAGES = 4
MAX_SEED = 2**32 - 1
NAMES = {"ar": "aspect_ratio", "aspect": "aspect_ratio", "seed": "seed", "n": "num_images"}
GENERATE_ONLY = frozenset({"aspect_ratio"})  # an edit keeps the photo's shape

_OPTION = re.compile(r"(?:--|\u2014|\u2013)([A-Za-z][\w-]*)(?:=(\S*))?")  # --, em/en dash
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class ImageOptions:
    aspect_ratio: str = "1:1"
    seed: int | None = None
    num_images: int = 1


@dataclass(frozen=True, slots=True)
class OptionProblem:
    """What is wrong, as a text key of ``bot/locales`` and its fields."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    prompt: str
    options: ImageOptions


def _value(name: str, raw: str) -> Any | OptionProblem:
    option = NAMES[name]
    if option == "aspect_ratio":
        if raw not in ASPECT_RATIOS:
            return OptionProblem(
                "option_bad_ar", {"value": quoted(raw), "allowed": ", ".join(ASPECT_RATIOS)}
            )
        return raw
    number = parse_number(raw)
    if option == "seed":
        if number is None or number > MAX_SEED:
            return OptionProblem("option_bad_seed", {"value": quoted(raw), "max": MAX_SEED})
        return number
    if number is None or not 1 <= number <= MAX_IMAGES:
        return OptionProblem("option_bad_n", {"value": quoted(raw), "max": MAX_IMAGES})
    return number


def parse_options(text: str, kind: JobKind) -> ParsedCommand | OptionProblem:
    """Split ``text`` into prompt and options; the first problem found, if any."""
    tokens = list(_TOKEN.finditer(text))
    values: dict[str, Any] = {}
    removed: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        found = _OPTION.fullmatch(token.group())
        index += 1
        if found is None:
            continue
        start, end = token.span()
        name, raw = found.group(1).lower(), found.group(2)
        if name not in NAMES:
            return OptionProblem("option_unknown", {"option": quoted(f"--{name}")})
        if NAMES[name] in GENERATE_ONLY and kind is JobKind.EDIT:
            return OptionProblem("option_generate_only", {"option": f"--{name}"})
        if raw is None:
            if index == len(tokens) or _OPTION.fullmatch(tokens[index].group()):
                return OptionProblem("option_needs_value", {"option": f"--{name}"})
            raw = tokens[index].group()
            end = tokens[index].end()
            index += 1
        value = _value(name, raw)
        if isinstance(value, OptionProblem):
            return value
        values[NAMES[name]] = value
        removed.append((start, end))
    # The prompt keeps its own spacing and line breaks; only the options are cut out.
    edges = [0, *(edge for span in removed for edge in span), len(text)]
    pieces = (text[edges[i] : edges[i + 1]].strip() for i in range(0, len(edges), 2))
    prompt = " ".join(piece for piece in pieces if piece)
    return ParsedCommand(prompt=prompt, options=ImageOptions(**values))
