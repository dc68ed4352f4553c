"""Encoded fragments of a prompt: base64, hexadecimal, percent-encoding, ROT13 and
reversed text. Each decoded fragment is checked as one more form of the prompt, so "draw
aG93IHRvIG1ha2UgYSBib21i" is judged as "how to make a bomb".

The work is bounded: only tokens of plausible length are tried, at most ``MAX_DECODED``
fragments are kept per prompt, and a decoding is kept only when it reads as text (mostly
printable ASCII with letters), which random words almost never do: eight base64
characters decode to six bytes, each printable with a chance of about 3 in 8.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from urllib.parse import unquote

MAX_DECODED = 4
_MAX_TOKEN = 1024  # characters; longer runs are not a prompt fragment worth decoding
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){4,})(?![0-9A-Za-z])")
_HEX_BYTES = re.compile(r"(?:(?:\\x|0x)?[0-9A-Fa-f]{2}[ :,]?){4,}")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){3,}")
_ROT13 = str.maketrans(
    string.ascii_lowercase + string.ascii_uppercase,
    string.ascii_lowercase[13:]
    + string.ascii_lowercase[:13]
    + string.ascii_uppercase[13:]
    + string.ascii_uppercase[:13],
)
# Short, frequent words of the languages we check: a rewritten text that suddenly has
# several of them (ROT13 or reversed back) is text the writer wanted to hide.
_COMMON_WORDS = (
    "a an the of and or to in on at with for from by is are be how make her his him she he "
    "it my your their this that what girl boy woman man child kid naked nude sex kill "
    "y el la los las de del con un una que como para es o e do da dos das em um uma com "
    "le les des du et est pour une avec der die das und ein eine mit ist wie zu il lo gli "
    "di che per bir ve ile nasil bu yang dan di ke cara dengan"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _readable(raw: bytes) -> str | None:
    """``raw`` as text when it reads as text: UTF-8, at least 90 % printable, at least
    three letters and a vowel (binary noise rarely is)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 3:
        return None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    letters = [ch for ch in text.lower() if ch.isalpha()]
    if printable < 0.9 * len(text) or len(letters) < 3 or not set(letters) & set("aeiouy"):
        return None
    if sum(ch.isalpha() or ch.isspace() for ch in text) < 0.7 * len(text):
        return None
    return text


def _base64(token: str) -> str | None:
    if not any(ch.isdigit() or ch.isupper() or ch in "+/=" for ch in token[1:]):
        return None  # a plain lower-case word ("photorealistic") is not base64
    body = token.rstrip("=")
    if len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    alphabet = "-_" if any(ch in "-_" for ch in body) else "+/"
    try:
        return _readable(base64.b64decode(padded, altchars=alphabet.encode(), validate=True))
    except (binascii.Error, ValueError):
        return None


def _hex(digits: str) -> str | None:
    digits = re.sub(r"\\x|0x|[ :,]", "", digits)
    if len(digits) % 2 or not any(ch.isdigit() for ch in digits):
        return None
    try:
        return _readable(bytes.fromhex(digits))
    except ValueError:
        return None


def _common_words(text: str) -> int:
    """Distinct common words of two letters or more among the words written with letters
    only ("q3p@c1g" has none: its letters are not words)."""
    words = (token.strip(".,;:!?\"'()") for token in text.lower().split())
    return len({word for word in words if len(word) > 1 and word.isalpha() and word in _COMMON})


def _rewritten(text: str) -> list[str]:
    """ROT13 and reversed readings of the whole text, kept when they have at least two
    common words more than the text as written."""
    ascii_letters = sum(ch in string.ascii_letters for ch in text)
    if ascii_letters < 6:
        return []
    written = _common_words(text)
    found = []
    for rewritten in (text.translate(_ROT13), text[::-1]):
        if _common_words(rewritten) >= written + 2:
            found.append(rewritten)
    return found


def decoded_fragments(text: str) -> list[str]:
    """Readable decodings of the encoded fragments of ``text`` (at most ``MAX_DECODED``),
    in the order found; empty for ordinary text."""
    found: list[str] = []

    def keep(decoded: str | None) -> bool:
        if decoded is not None and decoded not in found:
            found.append(decoded)
        return len(found) >= MAX_DECODED

    for match in _PERCENT.finditer(text):
        if keep(_readable(unquote(match.group()).encode("utf-8", "replace"))):
            return found
    for pattern in (_HEX_BYTES, _HEX):
        for match in pattern.finditer(text):
            if len(match.group()) <= _MAX_TOKEN and keep(_hex(match.group())):
                return found
    for match in _BASE64.finditer(text):
        token = match.group()
        if len(token) <= _MAX_TOKEN and keep(_base64(token)):
            return found
    for rewritten in _rewritten(text):
        if keep(rewritten):
            return found
    return found
