"""Text normalisation: the forms of a prompt that term lists and the model see.

Evasions it undoes: case, accents and other diacritics (``nüde``), compatibility forms
(full-width and mathematical-alphabet letters), invisible characters (zero-width
space/joiner, soft hyphen, bidi controls), look-alike letters from other scripts (Cyrillic
er U+0440 for p, Greek rho for p), leetspeak (``s3x``, ``$ex``, ``k1ll``), separators
between letters (``n u d e``, ``n.u.d.e``, ``n-u-d-e``) and stretched letters
(``nuuuude``). Every form holds only ``a-z``, ``0-9`` and single spaces, so term
patterns need no Unicode awareness.

Look-alikes come from Unicode's confusables table (UTS #39) as shipped by
confusable-homoglyphs: several hundred characters map to an ASCII letter or digit, which a
hand-written table would not cover; the table is read from the package, never downloaded.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import cache

from anyascii import anyascii

# Leetspeak. "1" and "|" stand for either "i" or "l", so both readings are tried.
_LEET_COMMON = {
    "0": "o",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "+": "t",
}
_LEET_I = {**_LEET_COMMON, "1": "i", "|": "i"}
_LEET_L = {**_LEET_COMMON, "1": "l", "|": "l"}
_AMBIGUOUS_LEET = frozenset("1|")
_SYMBOLS = frozenset(ch for ch in _LEET_COMMON if not ch.isalnum()) | {"|"}

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")  # before control characters are dropped: "\n" is a space
_STRETCHED = re.compile(r"([a-z])\1{2,}")  # three or more of one letter
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})  # invisible, combining, control
_SINGLE_LETTER_RUN = 3  # "n u d e": a run of this many one-letter words is one word


@dataclass(frozen=True)
class NormalizedText:
    """``plain``: the text without evasions but without leetspeak decoding; ``variants``:
    every form to match terms against (``plain`` first, then leetspeak and de-stretched
    readings, duplicates removed); ``spelled``: the words of those forms that were spelled
    out letter by letter ("s e x y k i d" → "sexykid"), where word boundaries are lost, so
    terms are looked for anywhere inside them."""

    plain: str
    variants: tuple[str, ...]
    spelled: tuple[str, ...] = ()


@cache
def homoglyph_table() -> dict[int, str]:
    """Maps each non-ASCII character that looks like an ASCII letter or digit to it.

    Built once from the confusables data (about 900 KB of JSON, ~50 ms); call it at start-up.
    """
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for target in string.ascii_letters + string.digits:  # letters win: Cyrillic O is o, not 0
        for entry in confusables_data.get(target, ()):
            glyph = entry["c"].strip("\u200e\u200f")  # the data wraps RTL glyphs in marks
            if len(glyph) == 1 and not glyph.isascii():
                table.setdefault(ord(glyph), target.lower())
    # Unicode lists some Cyrillic lower-case letters (н, т, в) as confusable only with Latin
    # small capitals (ʜ, ᴛ, ʙ), which look like h, t, b: follow that one step.
    for source, entries in confusables_data.items():
        if len(source) != 1 or source.isascii() or ord(source) in table:
            continue
        for entry in entries:
            name = unicodedata.name(entry["c"], "") if len(entry["c"]) == 1 else ""
            letter = name.removeprefix("LATIN LETTER SMALL CAPITAL ")
            if letter != name and len(letter) == 1:
                table[ord(source)] = letter.lower()
                break
    return table


def to_ascii(text: str) -> str:
    """Lower-case ASCII with invisible characters, diacritics and look-alikes resolved;
    punctuation and digits are kept (leetspeak is decoded later)."""
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text))
    # NFD splits accented letters into letter + combining mark; the marks are dropped with
    # the invisible characters (which also defeats "zalgo" stacking).
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFD", text)
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    text = text.translate(homoglyph_table())
    return anyascii(text).lower()


def _decode_leet(text: str, table: dict[str, str]) -> str:
    out: list[str] = []
    for token in text.split():
        has_letter = any(ch in string.ascii_lowercase for ch in token)
        chars = list(token)
        for i, ch in enumerate(chars):
            if ch not in table:
                continue
            if ch in _SYMBOLS:
                # "$ex", "sh!t", "a$$hole" but not the "!" that ends "wow!"
                if any(later.isalnum() for later in chars[i + 1 :]):
                    chars[i] = table[ch]
            elif has_letter or len(token) == 1:  # "s3x", "n u d 3"; never "1990" or "42"
                chars[i] = table[ch]
        out.append("".join(chars))
    return " ".join(out)


def _words(text: str, spelled: list[str] | None = None) -> str:
    """Punctuation to spaces, then runs of one-letter words joined ("n.u.d.e" → "nude");
    the joined words are appended to ``spelled``."""
    tokens = _NOT_ALNUM.sub(" ", text).split()
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:  # the empty sentinel flushes the last run
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= _SINGLE_LETTER_RUN:
            out.append("".join(run))
            if spelled is not None:
                spelled.append(out[-1])
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return " ".join(out)


def normalize(text: str) -> NormalizedText:
    """Every form of ``text`` that the term lists are matched against."""
    ascii_text = to_ascii(text)
    spelled: list[str] = []
    plain = _words(ascii_text, spelled)
    readings = [plain, _words(_decode_leet(ascii_text, _LEET_I), spelled)]
    if any(ch in _AMBIGUOUS_LEET for ch in ascii_text):
        readings.append(_words(_decode_leet(ascii_text, _LEET_L), spelled))
    variants: list[str] = []
    for reading in readings:
        variants += [reading, _STRETCHED.sub(r"\1", reading)]
    return NormalizedText(
        plain=plain,
        variants=tuple(dict.fromkeys(variants)),
        spelled=tuple(dict.fromkeys(spelled)),
    )


def normalize_term(term: str) -> str:
    """The form a list entry is matched in: the same steps as ``plain``, no leetspeak."""
    return _words(to_ascii(term))
