"""Text normalisation: the forms of a prompt that term lists and the model see.

Evasions it undoes: case, accents and other diacritics (``nüde``), compatibility forms
(full-width and mathematical-alphabet letters), invisible characters (zero-width
space/joiner, soft hyphen, bidi controls), look-alike letters from other scripts (Cyrillic
er U+0440 for p, Greek rho for p), leetspeak (``s3x``, ``$ex``, ``k1ll``), separators
and multi-symbol leetspeak (``|\\|ude``), separators between letters (``n u d e``,
``n.u.d.e``, ``n_u_d_e``, letters split by emoji), words split by inner punctuation
(``nu.de``), censor stars (``n*ked``: each vowel tried), stretched letters (``nuuuude``),
handwriting look-alikes in words that mix Cyrillic and Latin (``пude``), emoji (read as
what they stand for: ``readings.EMOJI_MEANINGS``) and encoded fragments (base64, hex,
percent-encoding, ROT13, reversed text: ``decoding``). Every form holds only ``a-z``,
``0-9`` and single spaces, so term patterns need no Unicode awareness. Names written with
capitals ("Taylor Swift") are reported apart, for rules about real people.

Look-alikes come from Unicode's confusables table (UTS #39) as shipped by
confusable-homoglyphs: several hundred characters map to an ASCII letter or digit, which a
hand-written table would not cover; the table is read from the package, never downloaded.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

from orchestrator.moderation.decoding import decoded_fragments
from orchestrator.moderation.readings import (
    CYRILLIC_VISUAL,
    EMOJI_MEANINGS,
    MULTI_LEET,
    capitalised_names,
    unmasked,
    visual_cyrillic,
)
from orchestrator.moderation.transliterate import prepared, scripts_in, transliterated

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
_FINAL_SYMBOLS = frozenset("@$")  # leet at the end of a word too ("nud@"); "!" and "+" not

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")  # before control characters are dropped: "\n" is a space
_STRETCHED = re.compile(r"([a-z])\1{2,}")  # three or more of one letter
_ONE_LETTER_WORDS = frozenset("aiyeo")  # words of one letter in our languages
_SINGLE_LETTER_RUN = 3  # "n u d e": a run of this many one-letter words is one word


@dataclass(frozen=True)
class NormalizedText:
    """``plain``: the text without evasions but without leetspeak decoding; ``variants``:
    every form to match terms against (``plain`` first, then leetspeak and de-stretched
    readings, duplicates removed); ``spelled``: the words of those forms that were spelled
    out letter by letter ("s e x y k i d" → "sexykid"), where word boundaries are lost, so
    terms are looked for anywhere inside them; ``names``: names written with capitals,
    lower-cased ("taylor swift"); ``scripts``: the scripts of its letters and of its decoded
    fragments' (``transliterate.scripts_in``); ``english``: the variants an English model may
    read, without the words of other scripts read by their sound (Russian "шит", sewn,
    would read "shit"), the same as ``variants`` when there are none."""

    plain: str
    variants: tuple[str, ...]
    spelled: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    scripts: frozenset[str] = frozenset()
    english: tuple[str, ...] = ()


_EMOJI_MARK = "\x01"  # wraps an emoji's name in the ASCII text: "\x01eggplant\x01"
_EMOJI = re.compile("\x01([^\x01]*)\x01")
_EMOJI_NAME = re.compile(r":([a-z0-9_+-]+):")
_CURRENCY = re.compile(r"\$(?=\d)")  # "under $15" is a price, not an age
_INNER_PUNCTUATION = re.compile(r"(?<=[a-z0-9])[._'\-](?=[a-z0-9])")
_TWO_DIGIT_AGE = re.compile(r"(?<![a-z0-9])([1l|])([0-7o])(?![a-z0-9])")  # "1O yr old"


def _emoji_name(ch: str) -> str | None:
    match = _EMOJI_NAME.fullmatch(anyascii(ch))
    return match.group(1) if match else None


def to_ascii(
    text: str, visual: bool = False, by_look: bool = True, latin_only: bool = False
) -> str:
    """Lower-case ASCII with invisible characters, accents and digits of other scripts
    resolved, each word read by its look or its sound (``transliterate``); punctuation and
    digits are kept (leetspeak is decoded later) and each emoji becomes its name between
    ``\x01`` marks. ``visual``: Cyrillic letters that look like Latin ones only in
    handwriting are read as Latin in words that mix the two scripts. ``by_look`` False:
    every non-Latin word by its sound, as term lists are read. ``latin_only``: words of
    other scripts read by their sound are left out (``NormalizedText.english``)."""
    text = prepared(_WHITESPACE.sub(" ", text))
    if visual:
        text = visual_cyrillic(text) or text
    if text.isascii():
        return text.lower()
    chars: list[str] = []
    for ch in text:
        name = _emoji_name(ch) if unicodedata.category(ch) == "So" else None
        chars.append(f" {_EMOJI_MARK}{name}{_EMOJI_MARK} " if name else ch)
    return transliterated("".join(chars), by_look, latin_only).lower()


def _without_emoji(text: str) -> str:
    """Emoji as separators: "n🍆u🍆d🍆e" is "n u d e"."""
    return _EMOJI.sub(" ", text) if _EMOJI_MARK in text else text


def _emoji_read(text: str) -> str:
    """Emoji as what they stand for (``EMOJI_MEANINGS``) or their name."""
    return _EMOJI.sub(
        lambda m: f" {EMOJI_MEANINGS.get(m.group(1), m.group(1).replace('_', ' '))} ", text
    )


def _two_digit_age(match: re.Match[str]) -> str:
    """ "1O" or "l2" as a number when one of its two characters is a digit ("lo" stays)."""
    first, second = match.groups()
    if first != "1" and not second.isdigit():
        return match.group()
    return "1" + second.replace("o", "0")


def _decode_leet(text: str, table: dict[str, str]) -> str:
    for sequence, letter in MULTI_LEET:
        if sequence in text:
            text = text.replace(sequence, letter)
    text = _TWO_DIGIT_AGE.sub(_two_digit_age, text)
    out: list[str] = []
    for token in text.split():
        has_letter = any(ch in string.ascii_lowercase for ch in token)
        chars = list(token)
        for i, ch in enumerate(chars):
            if ch not in table:
                continue
            if ch in _SYMBOLS:
                # "$ex", "sh!t", "a$$hole", word-final "chic@", but not the "!" of "wow!"
                later = any(after.isalnum() for after in chars[i + 1 :])
                final = ch in _FINAL_SYMBOLS and any(before.isalpha() for before in chars[:i])
                if later or final:
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
                if run[0] in _ONE_LETTER_WORDS and len(run) > _SINGLE_LETTER_RUN:
                    # "a n a k e d": the article may be a word of its own ("naked")
                    spelled.append("".join(run[1:]))
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return " ".join(out)


def _readings(ascii_text: str, spelled: list[str]) -> list[str]:
    """The word forms of one ASCII text: as written, its leetspeak readings (each with
    words split by inner punctuation joined, "nu.de"), and masked letters tried."""
    text = _CURRENCY.sub(" usd ", _without_emoji(ascii_text))
    leet = [_decode_leet(text, _LEET_I)]
    if any(ch in _AMBIGUOUS_LEET for ch in text):
        leet.append(_decode_leet(text, _LEET_L))
    sources = [text, *leet]
    if _INNER_PUNCTUATION.search(text):
        sources += [_INNER_PUNCTUATION.sub("", source) for source in (text, *leet)]
    for source in leet:
        sources += unmasked(source)
    forms = [_words(source, spelled) for source in dict.fromkeys(sources)]
    if _EMOJI_MARK in ascii_text:
        forms.append(_words(_emoji_read(ascii_text)))
    return forms


def normalize(text: str) -> NormalizedText:
    """Every form of ``text`` that the term lists are matched against: its own, a
    look-alike reading where Cyrillic and Latin letters mix, and those of its encoded
    fragments (base64, hex, ROT13...: ``decoding``)."""
    ascii_text = to_ascii(text)
    spelled: list[str] = []
    readings = _readings(ascii_text, spelled)
    if not text.isascii() and (sound := to_ascii(text, by_look=False)) != ascii_text:
        readings += _readings(sound, spelled)
    if any(ord(ch) in CYRILLIC_VISUAL for ch in text):
        visual = to_ascii(text, visual=True)
        if visual != ascii_text:
            readings += _readings(visual, spelled)
    latin = to_ascii(text, latin_only=True) if not text.isascii() else ascii_text
    same = latin == ascii_text  # no word of another script read by its sound
    english = [] if same else _readings(latin, [])
    scripts = set(scripts_in(text))
    for fragment in decoded_fragments(text):
        readings += _readings(to_ascii(fragment), spelled)
        if not same:
            english += _readings(to_ascii(fragment, latin_only=True), [])
        scripts |= scripts_in(fragment)
    variants = _destretched(readings)
    return NormalizedText(
        plain=readings[0],
        variants=variants,
        spelled=tuple(dict.fromkeys(spelled)),
        names=tuple(dict.fromkeys(capitalised_names(anyascii(text)))),
        scripts=frozenset(scripts),
        english=variants if same else _destretched(english),
    )


def _destretched(readings: list[str]) -> tuple[str, ...]:
    """Each reading and its form with stretched letters single ("nuuude" → "nude")."""
    variants: list[str] = []
    for reading in readings:
        variants += [reading, _STRETCHED.sub(r"\1", reading)]
    return tuple(dict.fromkeys(variants))


def normalize_term(term: str) -> str:
    """The form a list entry is matched in: the same steps as ``plain``, no leetspeak."""
    return _words(_emoji_read(to_ascii(term, by_look=False)))
