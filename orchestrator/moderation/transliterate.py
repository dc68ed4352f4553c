"""Any script to lower-case ASCII, with look-alike letters folded only where they disguise.

Two readings of a non-Latin letter exist: its sound (``anyascii``: Cyrillic er is "r")
and its look (Unicode's confusables table, UTS #39: er looks like "p"). The look is what
a disguise relies on ("\u0440orn", "\u0455\u0435\u0445"), the sound is what a word of that
language means ("\u0434\u0438\u0441\u043a" is "disk", not "dick"). So each word is read:

* by its look when it mixes Latin with another script ("n\u0430ked"), or when its script
  appears in the text only in look-alike letters (a word made of them to pass for Latin);
* by its sound otherwise: a script with at least one letter in the text that looks like no
  Latin one (Russian almost always has "\u0438", "\u043b", "\u0434"...) is that language,
  written for real.

Where that reading folded anything, a second one reads every word by its sound
(``by_look=False``): a word of that language with a Latin letter slipped in, or a short
text whose letters all happen to look Latin ("секс"). Term lists are
read by sound. Digits of any script are their value
(Arabic-Indic "\u0661\u0662" is 12, not "l2"). Combining marks are dropped after Latin,
Greek and Cyrillic letters (accents, "zalgo"), but kept in scripts where they spell the
word (Devanagari vowel signs, kana voicing marks). Chinese and Japanese characters
written one by one between spaces are joined, so their syllables never stand as Latin words
of their own, and the katakana long-vowel mark repeats its vowel ("\u30cc\u30fc\u30c9" is
"nuudo", not the Spanish "nudo");
a Korean syllable that begins with rieul reads "r" ("\ub85c\ub9ac" rori) and one that ends
with it "l" ("\ub864\uc774" roli), as Revised Romanization writes them.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import cache

from anyascii import anyascii

_DROPPED_CATEGORIES = frozenset({"Cf", "Cc"})  # invisible characters and controls
_MARKS = frozenset({"Mn", "Me"})
_ACCENTED_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC", ""})  # "": no letter before
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and Han
# Characters spaced one by one ("裸 体 少 女"): a run of single characters between spaces.
_SPACED_CJK = re.compile(f"(?<![{_CJK}])[{_CJK}](?: [{_CJK}](?![{_CJK}]))+")
_LONG_VOWEL = "\u30fc"  # katakana prolonged sound mark: the vowel before it, again
_VOWELS = "aeiou"
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL_INITIAL = 5  # index of ㄹ among the initial consonants
_HANGUL_INITIAL_SPAN = 21 * 28  # syllables per initial consonant
_APOSTROPHES = str.maketrans("", "", "'`")  # anyascii's marks for nukta, ayn...


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


@cache
def script(ch: str) -> str:
    """The script of a letter by its Unicode name's first word ("CYRILLIC"), "" for a
    character that is no letter."""
    if not unicodedata.category(ch).startswith("L"):
        return ""
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _native_scripts(text: str) -> frozenset[str]:
    """Non-Latin scripts with a letter in ``text`` that looks like no Latin letter."""
    table = homoglyph_table()
    return frozenset(
        script(ch) for ch in text if ord(ch) not in table and script(ch) not in ("", "LATIN")
    )


def _digits(text: str) -> str:
    """Decimal digits of every script as ASCII digits."""
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text
    )


def _without_marks(text: str) -> str:
    """Combining marks dropped after Latin, Greek and Cyrillic letters (and after no letter),
    kept elsewhere; invisible characters and controls always dropped."""
    chars: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        category = unicodedata.category(ch)
        if category in _DROPPED_CATEGORIES:
            continue
        if category in _MARKS:
            if base in _ACCENTED_SCRIPTS:
                continue
        else:
            base = script(ch)
        chars.append(ch)
    return unicodedata.normalize("NFC", "".join(chars))


def _hangul(ch: str) -> str:
    """A Korean syllable's reading, "r" for an initial rieul (anyascii writes "l")."""
    reading = anyascii(ch).lower()
    offset = ord(ch) - _HANGUL_FIRST
    if offset // _HANGUL_INITIAL_SPAN == _RIEUL_INITIAL and reading.startswith("l"):
        return "r" + reading[1:]
    return reading


def _by_sound(ch: str) -> str:
    if _HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST:
        return _hangul(ch)
    if ch.isascii():
        return ch
    return anyascii(ch).translate(_APOSTROPHES)


def _word(word: str, native: frozenset[str] | None, latin_only: bool = False) -> str:
    """One word by its look or its sound; ``native`` None: every non-Latin word by sound;
    ``latin_only``: a word read by its sound is left out."""
    scripts = {script(ch) for ch in word} - {""}
    foreign = scripts - {"LATIN"}
    if not foreign:
        fold = True  # Latin letters that look like ASCII ones (alpha, dotless i)
    elif native is None:
        fold = False
    else:
        fold = "LATIN" in scripts or not foreign & native
    if latin_only and not fold:
        return ""
    if fold:
        word = word.translate(homoglyph_table())
    out: list[str] = []
    for ch in word:
        if ch == _LONG_VOWEL and out and out[-1][-1:].lower() in _VOWELS:
            out.append(out[-1][-1])  # "ヌード" is "nuudo", apart from Spanish "nudo"
        else:
            out.append(_by_sound(ch))
    return "".join(out)


def prepared(text: str) -> str:
    """``text`` before the reading of its words: compatibility forms (NFKC), digits of any
    script as ASCII, marks dropped where they are accents, Chinese and Japanese characters
    apart joined. The caller splits it on spaces."""
    text = _digits(unicodedata.normalize("NFKC", text))
    return _SPACED_CJK.sub(lambda run: run.group().replace(" ", ""), _without_marks(text))


def transliterated(text: str, by_look: bool = True, latin_only: bool = False) -> str:
    """``text`` (``prepared``, emoji already replaced) in ASCII, each word read by its look
    or its sound (module docstring), or every non-Latin word by sound; ``latin_only``: the
    words read by their sound left out (what an English model may read). Not lower-cased."""
    native = _native_scripts(text) if by_look else None
    return " ".join(_word(word, native, latin_only) for word in text.split(" "))


# Lists of languages written in another script than Latin apply only to text with letters
# of that script: their readings may spell words of other languages (Russian "debil"
# is Spanish for "weak"; 内裤 reads "neiku", as inside the Russian "lineiku").
LIST_SCRIPTS = {
    "ru": "CYRILLIC",
    "uk": "CYRILLIC",
    "ar": "ARABIC",
    "hi": "DEVANAGARI",
    "zh": "CJK",
    "ja": "CJK",
    "ko": "HANGUL",
}
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK"}


def scripts_in(text: str) -> frozenset[str]:
    """The scripts of ``text``'s letters (kana counted with Chinese characters as "CJK")."""
    if text.isascii():
        return frozenset({"LATIN"}) if any(ch.isalpha() for ch in text) else frozenset()
    found = {script(ch) for ch in unicodedata.normalize("NFKC", text)} - {""}
    return frozenset(_SCRIPT_GROUPS.get(name, name) for name in found)
