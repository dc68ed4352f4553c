"""Values users type into commands, read safely.

Numbers are ASCII digits only: ``str.isdigit`` also accepts superscripts such as ``²``,
which ``int`` refuses with an exception, so the user would get no answer. The digits are
bounded before ``int`` runs: no number a command takes needs more than ``MAX_DIGITS``.

A value quoted back in an answer ("--seed 123… isn't a seed") is shortened first: the
user may have typed thousands of characters, and Telegram refuses a text over 4,096.
"""

from __future__ import annotations

import re

MAX_DIGITS = 20  # above every limit a command has (seeds, sats, Telegram ids)
QUOTED_MAX_CHARS = 32

_NATURAL = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_SIGNED = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")


def parse_number(raw: str, *, allow_negative: bool = False) -> int | None:
    """``raw`` as an integer when it is 1 to ``MAX_DIGITS`` ASCII digits (after one ``-``
    where ``allow_negative``); None otherwise."""
    if not (_SIGNED if allow_negative else _NATURAL).fullmatch(raw):
        return None
    return int(raw)


def quoted(value: str) -> str:
    """``value`` as it may appear in an answer: at most ``QUOTED_MAX_CHARS`` characters."""
    if len(value) <= QUOTED_MAX_CHARS:
        return value
    return value[: QUOTED_MAX_CHARS - 1] + "…"
