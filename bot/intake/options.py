"""Options written into a command: ``/generate a fox --ar 16:9 --seed 42 --n 2``.

``--model NAME`` and ``--lora NAME[:scale]`` pick a catalog model and one of its LoRAs
(whether they exist is the orchestrator's to say, at admission); ``--enhance`` and
``--no-enhance`` are flags, taking no value.

Options may stand anywhere in the text, as ``--name value``, ``--name=value`` or, for a
value that starts with a digit, ``--name16:9``. Names are read in any case, after ``--``,
one ``-`` (``-n 2``) or the dash a phone makes of ``--`` (``—ar``, or an en dash); answers always
name them as ``--name``. Every word that starts with a dash and a letter is an option:
one the bot does not know is refused by name, never left in the prompt. What is left is
the prompt. Commands, plain-text prompts, answers and inline queries all come here.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from bot.intake.user_input import parse_number, quoted
from orchestrator.preferences import Preferences
from state.models import JobKind

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9", "9:21")
MAX_IMAGES = 4
MAX_SEED = 2**32 - 1
NAMES = {
    "ar": "aspect_ratio",
    "aspect": "aspect_ratio",
    "seed": "seed",
    "n": "num_images",
    "model": "model",
    "lora": "lora",
}
FLAGS = {"enhance": ("enhance", True), "no-enhance": ("enhance", False)}
GENERATE_ONLY = frozenset({"aspect_ratio", "lora"})  # an edit keeps the photo's shape
MAX_LORA_SCALE = 2.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SCALE = re.compile(r"[0-9](\.[0-9]{1,2})?")

# "--", one hyphen, or what phones and editors make of "--": en and em dash, the
# Unicode hyphens and minus sign.
_DASH = r"(?:--|[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212])"
_LOOKS_LIKE_OPTION = re.compile(_DASH + r"[A-Za-z]")
_OPTION = re.compile(
    _DASH + r"(?P<name>[A-Za-z]+(?:-[A-Za-z]+)*)(?:=(?P<value>\S*)|(?P<glued>[0-9]\S*))?"
)
_OPTION_NAME = re.compile(_DASH + r"(?P<name>[A-Za-z][\w-]*)")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """What a command asked for; None: not given (the user's settings, then the default)."""

    aspect_ratio: str | None = None
    seed: int | None = None
    num_images: int | None = None
    model: str | None = None
    lora: str | None = None
    lora_scale: float | None = None
    enhance: bool | None = None  # None: the user's own setting
    strength: float | None = None  # a variation's (buttons only; never typed)


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
    if option == "model":
        if not _NAME.fullmatch(raw):
            return OptionProblem("option_bad_model", {"value": quoted(raw)})
        return raw.lower()
    if option == "lora":
        return _lora(raw)
    number = parse_number(raw)
    if option == "seed":
        if number is None or number > MAX_SEED:
            return OptionProblem("option_bad_seed", {"value": quoted(raw), "max": MAX_SEED})
        return number
    if number is None or not 1 <= number <= MAX_IMAGES:
        return OptionProblem("option_bad_n", {"value": quoted(raw), "max": MAX_IMAGES})
    return number


def _lora(raw: str) -> tuple[str, float | None] | OptionProblem:
    name, colon, scale = raw.partition(":")
    if not _NAME.fullmatch(name):
        return OptionProblem("option_bad_lora", {"value": quoted(raw), "max": MAX_LORA_SCALE})
    if not colon:
        return name.lower(), None
    if not _SCALE.fullmatch(scale) or float(scale) > MAX_LORA_SCALE:
        return OptionProblem("option_bad_lora", {"value": quoted(raw), "max": MAX_LORA_SCALE})
    return name.lower(), float(scale)


def with_defaults(options: ImageOptions, preferences: Preferences, kind: JobKind) -> ImageOptions:
    """``options`` with what was not given taken from the user's settings, then defaults.
    An upscale is one image, of the model the catalog has for it, never rewritten."""
    if kind is JobKind.UPSCALE:
        return ImageOptions(aspect_ratio="1:1", num_images=1, enhance=False)
    return dataclasses.replace(
        options,
        aspect_ratio=options.aspect_ratio or preferences.aspect_ratio or "1:1",
        num_images=options.num_images or preferences.num_images or 1,
        model=options.model or preferences.model_for(kind.value),
        enhance=preferences.enhance if options.enhance is None else options.enhance,
    )


def _named(token: str) -> str:
    """How an option is named in an answer: ``--`` and its name, however it was written."""
    found = _OPTION_NAME.match(token)
    return f"--{found.group('name').lower()}" if found else token


def parse_options(text: str, kind: JobKind) -> ParsedCommand | OptionProblem:
    """Split ``text`` into prompt and options; the first problem found, if any."""
    tokens = list(_TOKEN.finditer(text))
    values: dict[str, Any] = {}
    removed: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not _LOOKS_LIKE_OPTION.match(token.group()):
            continue
        found = _OPTION.fullmatch(token.group())
        if found is None:  # e.g. "--style.anime": an option all the same, not a prompt word
            return OptionProblem("option_unknown", {"option": quoted(_named(token.group()))})
        start, end = token.span()
        name = found.group("name").lower()
        raw = found.group("value") if found.group("glued") is None else found.group("glued")
        if name in FLAGS and raw is None:
            flag, on = FLAGS[name]
            values[flag] = on
            removed.append((start, end))
            continue
        if name not in NAMES:
            return OptionProblem("option_unknown", {"option": quoted(f"--{name}")})
        if NAMES[name] in GENERATE_ONLY and kind is JobKind.EDIT:
            return OptionProblem("option_generate_only", {"option": f"--{name}"})
        if raw is None:
            if index == len(tokens) or _LOOKS_LIKE_OPTION.match(tokens[index].group()):
                return OptionProblem("option_needs_value", {"option": f"--{name}"})
            raw = tokens[index].group()
            end = tokens[index].end()
            index += 1
        value = _value(name, raw)
        if isinstance(value, OptionProblem):
            return value
        if NAMES[name] == "lora":
            values["lora"], values["lora_scale"] = value
        else:
            values[NAMES[name]] = value
        removed.append((start, end))
    # The prompt keeps its own spacing and line breaks; only the options are cut out.
    edges = [0, *(edge for span in removed for edge in span), len(text)]
    pieces = (text[edges[i] : edges[i + 1]].strip() for i in range(0, len(edges), 2))
    prompt = " ".join(piece for piece in pieces if piece)
    return ParsedCommand(prompt=prompt, options=ImageOptions(**values))
