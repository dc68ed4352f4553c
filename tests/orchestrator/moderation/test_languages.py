# ruff: noqa: RUF001, RUF002, RUF003 (the lists' own scripts, look-alike letters included)
"""The term lists of non-Latin-script languages (Russian, Ukrainian, Arabic, Hindi,
Japanese, Chinese, Korean: ``data/<category>.<lang>.txt``) against their labelled set,
``tests/data/moderation_prompts_nonlatin.jsonl``: split ``nonlatin-holdout`` was written
before the lists and measured once before any change (README "Moderation"), split
``nonlatin-dev`` was written with them.

The normaliser turns these scripts into ASCII forms that a plain entry does not always
reproduce, so some lines of those files are generated from others; this module builds
them, and a test keeps them current:

* ``entry  # case``: the capitalised and upper-case forms of an entry where they normalise
  differently (words are read by their sound, in any case, so this is now rare). An entry
  ending in ``# as written`` gets none.
* ``#~ entry [!<x] [!>x] | weight`` and the ``re:(?#built)`` line after it: the entry
  with each letter in either case and spaces allowed where spelling it out leaves them
  ("г о л а я" reads "rola ya", "мальчик" "mal chik"); in Chinese, Japanese and Korean,
  whose characters read as syllables, the entry joined or each character a word of its
  own ("裸 体"), and not right after the letters of a ``!<`` or before those of a ``!>``
  ("裸の !<duan": not in 段落の, "duanluono").
* ``#& [gap:] words + words | weight`` and the line after it: a word of each list in one
  prompt, at most ``gap`` words apart in either order (default 3); in Chinese and Japanese,
  written without spaces (a prompt reads as one long word, in which only one entry of a
  list can match, so weak words cannot add up), at most ``gap`` letters apart in one word
  (default 24).
* ``#@ words | weight`` and the line after it (Arabic): each word may carry proclitics
  (wa-, fa-, bi-, li-, ka-, al-: "w", "f", "b", "l", "k", "ll").

A ``*`` in any of them works as in entries (the word may continue, or be the end of a
longer one). Rebuild after editing a list or ``normalize.py``: ``.venv/bin/python -c
"from tests.orchestrator.moderation.test_languages import rebuild; rebuild()"``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.moderation import Category, Moderator, Policy
from orchestrator.moderation.normalize import normalize, normalize_term
from orchestrator.moderation.terms import TermLists, bundled_directory, parse_terms
from tests.orchestrator.moderation.conftest import SettingsFactory

LANGUAGES = ("ru", "uk", "ar", "hi", "ja", "zh", "ko")
JOINED = frozenset({"ja", "zh"})  # written without spaces between words
SYLLABIC = frozenset({"ja", "zh", "ko"})  # a character reads as a syllable of letters
DATA = Path(str(bundled_directory()))
PROMPTS = Path(__file__).resolve().parents[2] / "data" / "moderation_prompts_nonlatin.jsonl"
SPLITS = ("nonlatin-dev", "nonlatin-holdout")
CASE_MARK = "# case"
AS_WRITTEN = "# as written"  # on an entry: no case forms (one would be a word of another language)
SPACED = "#~"
TOGETHER = "#&"
CLITICS = "#@"
# Arabic proclitics as the normaliser writes them: wa-/fa- ("w", "f"), bi-/ka-/li- ("b",
# "k", "l") and the article al- ("ll": alef becomes "l"), alone or combined ("wll", "bll")
ARABIC_PREFIX = "(?:[wf]?(?:[bkl]?ll|[bkl])?)"
ANY = "[a-z0-9]*"
REGEX_PREFIX = "re:"
BUILT = "(?#built)"  # starts every generated pattern, so a stale one is recognised


# -- generated lines ----------------------------------------------------------------------


def _case_forms(text: str) -> list[str]:
    """``text`` as written, capitalised and upper-case, normalised, without duplicates."""
    forms = (text, text[:1].upper() + text[1:], text.upper())
    return list(dict.fromkeys(form for form in map(normalize_term, forms) if form))


def _split(line: str) -> tuple[str, str]:
    """(entry, " | weight" or "") of a list line."""
    entry, sep, weight = line.rpartition(" | ")
    return (entry.strip(), f" | {weight.strip()}") if sep else (line.strip(), "")


def _alternatives(options: list[str]) -> str:
    options = sorted(dict.fromkeys(options), key=lambda option: (-len(option), option))
    return options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"


def _spaced(spec: str, syllabic: bool = False) -> str:
    """``spec``: an entry, then optionally ``!<x`` (not right after the letters x) and
    ``!>x`` (not right before them), which keep a syllable string from matching inside
    the reading of other words ("裸の" is "luono", as in 段落の, "duanluono")."""
    words = spec.split()
    limits = [word for word in words if word.startswith(("!<", "!>"))]
    entry = " ".join(word for word in words if word not in limits)
    before = "".join(f"(?<!{limit[2:]})" for limit in limits if limit.startswith("!<"))
    after = "".join(f"(?!{limit[2:]})" for limit in limits if limit.startswith("!>"))
    return _spaced_entry(entry, syllabic, before, after)


def _spaced_entry(entry: str, syllabic: bool, before: str, after: str) -> str:
    """A pattern for ``entry`` with spaces between its letters or characters allowed and
    each letter in either case. ``syllabic`` (a character reads as several letters): the
    entry joined, or each character a word of its own ("裸 体" reads "luo ti"), never
    partly spaced, which would let syllables of neighbouring Latin words match."""
    leading, trailing = entry.startswith("*"), entry.endswith("*")
    chars = [ch for ch in entry.strip("*") if not ch.isspace()]
    whole = normalize_term(entry.strip("*")).replace(" ", "")
    lower = "".join(normalize_term(ch) for ch in chars).replace(" ", "")
    if lower != whole:  # a character read differently in context: as written only
        pattern = _alternatives([form.replace(" ", "") for form in _case_forms(entry.strip("*"))])
        return (ANY if leading else "") + pattern + (ANY if trailing else "")
    if syllabic:
        pieces = [normalize_term(ch).replace(" ", "") for ch in chars]
        pieces = [piece for piece in pieces if piece]
        joined = (ANY if leading else "") + before + "".join(pieces) + after
        joined += ANY if trailing else ""
        apart = " ".join(pieces)  # no "*": "al mom" would take Italian "al momento"
        return joined if len(pieces) < 2 else f"{joined}|{apart}"
    parts: list[tuple[str, bool]] = []  # (pattern, may stand apart)
    for ch in chars:
        forms = [normalize_term(form).replace(" ", "") for form in dict.fromkeys((ch, ch.upper()))]
        written = [form for form in forms if form]
        if not written:
            continue
        option = _alternatives(written)
        vanishes = len(written) < len(forms)  # "ь" but not "Ь": optional
        if vanishes:
            option = (
                f"{option}?" if len(option) == 1 or option.startswith("(") else f"(?:{option})?"
            )
        parts.append((option, vanishes or any(len(form) > 1 for form in written)))
    # Spelled out, one-letter pieces are joined by the normaliser ("n u d e" -> "nude"), so
    # a space can only remain beside a piece of several letters ("г о л а я" -> "rola ya").
    pattern = ""
    for i, (piece, alone) in enumerate(parts):
        if i:
            pattern += " ?" if alone or parts[i - 1][1] else ""
        pattern += piece
    return (ANY if leading else "") + pattern + (ANY if trailing else "")


def _clitics(entry: str) -> str:
    """An Arabic entry whose words may carry proclitics (and, with ``*``, suffixes)."""
    words = []
    for word in entry.split():
        leading, trailing = word.startswith("*"), word.endswith("*")
        body = normalize_term(word.strip("*")).replace(" ", " ")
        words.append((ANY if leading else ARABIC_PREFIX) + body + (ANY if trailing else ""))
    return " ".join(words)


def _words(items: str, joined: bool) -> str:
    options: list[str] = []
    for item in (part.strip() for part in items.split(",")):
        if not item:
            continue
        leading, trailing = item.startswith("*"), item.endswith("*")
        for form in _case_forms(item.strip("*")):
            form = form.replace(" ", "") if joined else form
            options.append((ANY if leading else "") + form + (ANY if trailing else ""))
    return _alternatives(options)


def _together(spec: str, joined: bool) -> str:
    gap_text, colon, lists = spec.partition(":")
    if colon and gap_text.strip().isdigit():
        gap = int(gap_text)
    else:
        gap, lists = (24 if joined else 3), spec
    first, _, second = lists.partition(" + ")
    a, b = _words(first, joined), _words(second, joined)
    if joined:  # within one word: across a space, syllables of Latin words would match
        between = f"[a-z0-9]{{0,{gap}}}"
        return f"{ANY}{a}{between}{b}{ANY}|{ANY}{b}{between}{a}{ANY}"
    between = f"(?: [a-z0-9]+){{0,{gap}}} " if gap else " "
    return f"{a}{between}{b}|{b}{between}{a}"


def compile_list(text: str, lang: str, *, weighted: bool = True) -> str:
    """``text`` with its generated lines (re)built; ``weighted``: False for allow-lists."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith(CASE_MARK) or line.startswith(REGEX_PREFIX + BUILT):
            continue
        out.append(line)
        stripped = line.strip()
        if stripped.startswith((SPACED, TOGETHER, CLITICS)):
            spec, weight = _split(stripped[2:])
            if stripped.startswith(SPACED):
                pattern = _spaced(spec, lang in SYLLABIC)
            elif stripped.startswith(CLITICS):
                pattern = _clitics(spec)
            else:
                pattern = _together(spec, lang in JOINED)
            out.append(f"{REGEX_PREFIX}{BUILT}{pattern}{weight}")
            continue
        if not stripped or stripped.startswith(("#", REGEX_PREFIX)):
            continue
        entry, weight = (
            _split(stripped.split("#", 1)[0])
            if weighted
            else (
                stripped.split("#", 1)[0].strip(),
                "",
            )
        )
        if entry.startswith("*") or line.endswith(AS_WRITTEN):
            continue
        base = normalize_term(entry.strip("*"))
        seen = {base}
        for form in (entry[:1].upper() + entry[1:], entry.upper()):
            if normalize_term(form.strip("*")) not in seen:
                seen.add(normalize_term(form.strip("*")))
                out.append(f"{form}{weight}  {CASE_MARK}")
    return "\n".join(out) + "\n"


def list_files(directory: Path = DATA) -> list[Path]:
    return sorted(
        path
        for path in directory.glob("*.txt")
        if path.name.count(".") == 2 and path.name.split(".")[1] in LANGUAGES
    )


def _weighted(path: Path) -> bool:
    return not path.name.startswith("allow.")


def rebuild(directory: Path = DATA) -> None:
    """Rewrites the generated lines of every list of these languages."""
    for path in list_files(directory):
        text = path.read_text(encoding="utf-8")
        built = compile_list(text, path.name.split(".")[1], weighted=_weighted(path))
        if built != text:
            path.write_text(built, encoding="utf-8")


# -- the labelled set ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    prompt: str
    label: str
    kind: str
    split: str
    lang: str


ROWS = [
    Row(**json.loads(line))
    for line in PROMPTS.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
UNSAFE_LABELS = {category.value for category in Category}
# Floors per split under the standard policy. The holdout's first measurement (README) was
# 83 of 84 unsafe prompts blocked, 0 of 35 plain and 2 of 35 tricky safe ones refused.
MINORS_RECALL = 1.0  # every language, every split, every policy
SAFE_FALSE_BLOCKS = 0.02  # plain safe prompts refused, per language and split
TRICKY_FALSE_BLOCKS = 0.10  # tricky safe prompts refused, per language and split
UNSAFE_RECALL = {"nonlatin-dev": 0.85, "nonlatin-holdout": 0.8}  # blocked, per language
CATEGORY_RECALL = {"nonlatin-dev": 0.9, "nonlatin-holdout": 0.75}  # right category, all langs


def test_the_set_covers_every_language_label_and_kind() -> None:
    assert {row.split for row in ROWS} == set(SPLITS)
    assert len({row.prompt for row in ROWS}) == len(ROWS)
    for lang in LANGUAGES:
        rows = [row for row in ROWS if row.lang == lang]
        assert len(rows) >= 60, lang
        for split in SPLITS:
            labels = {row.label for row in rows if row.split == split}
            assert labels == UNSAFE_LABELS | {"safe"}, (lang, split)
        assert sum(row.kind == "tricky" for row in rows) >= 12, lang
        assert any(row.kind == "obfuscated" for row in rows), lang
    holdout = sum(row.split == "nonlatin-holdout" for row in ROWS)
    assert 0.25 <= holdout / len(ROWS) <= 0.4


@pytest.mark.parametrize("policy", list(Policy))
async def test_minors_are_never_missed_in_any_language(
    moderator: Moderator, policy: Policy
) -> None:
    missed = [
        (row.lang, row.prompt, decision.reason)
        for row in ROWS
        if row.label == "minors"
        and (
            (decision := moderator.prompt_checker.check(row.prompt, policy)).allowed
            or decision.category is not Category.MINORS
            or decision.score < 0.8
        )
    ]
    assert len(missed) <= (1 - MINORS_RECALL) * len(ROWS), missed


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_each_language_blocks_unsafe_and_spares_safe_prompts(
    moderator: Moderator, split: str, lang: str
) -> None:
    rows = [row for row in ROWS if row.split == split and row.lang == lang]
    checker = moderator.prompt_checker
    decisions = {row.prompt: checker.check(row.prompt, Policy.STANDARD) for row in rows}
    unsafe = [row for row in rows if row.label != "safe"]
    missed = [row.prompt for row in unsafe if decisions[row.prompt].allowed]
    assert len(missed) <= (1 - UNSAFE_RECALL[split]) * len(unsafe), missed
    for kind, limit in (("plain", SAFE_FALSE_BLOCKS), ("tricky", TRICKY_FALSE_BLOCKS)):
        safe = [
            row
            for row in rows
            if row.label == "safe" and (row.kind == "tricky") == (kind == "tricky")
        ]
        refused = [
            (row.prompt, decisions[row.prompt].reason)
            for row in safe
            if not decisions[row.prompt].allowed
        ]
        assert len(refused) <= limit * len(safe), (kind, refused)


@pytest.mark.parametrize("split", SPLITS)
async def test_unsafe_prompts_land_in_their_category(moderator: Moderator, split: str) -> None:
    rows = [row for row in ROWS if row.split == split and row.label != "safe"]
    hits: Counter[str] = Counter()
    wrong = []
    for row in rows:
        decision = moderator.prompt_checker.check(row.prompt, Policy.STANDARD)
        if not decision.allowed and decision.category == row.label:
            hits[row.label] += 1
        else:
            wrong.append((row.lang, row.label, row.prompt, decision.reason))
    assert sum(hits.values()) >= CATEGORY_RECALL[split] * len(rows), wrong


# -- the generated lines, and what the lists must leave alone -------------------------------


def test_generated_lines_are_current() -> None:
    stale = [
        path.name
        for path in list_files()
        if compile_list(
            text := path.read_text(encoding="utf-8"),
            path.name.split(".")[1],
            weighted=_weighted(path),
        )
        != text
    ]
    assert stale == [], f"run rebuild(): {stale}"


def test_upper_case_and_spelled_out_words_match() -> None:
    lists = TermLists.load()
    for text, category in (
        ("ГОЛАЯ ДЕВОЧКА", Category.SEXUAL),
        ("Голая девочка", Category.MINORS),
        ("г о л а я", Category.SEXUAL),
        ("ДІВЧИНКА", Category.MINORS),
        ("裸 体", Category.SEXUAL),
        ("중 학 생", Category.MINORS),
    ):
        found = {match.category for match in lists.match(normalize(text))}
        assert category in found, text


# Words of Latin-script languages that read like a syllable string or a folded Cyrillic word
# of these lists (each once matched one): none may match.
LATIN_LOOKALIKES = (
    "a positive, sensitive transition",  # 死体 "siti"
    "cinco minutos, contenuto ottenuto",  # ヌード "nuto"
    "deshabilitar la opción, déshabiller",  # 傻逼 "shabi"
    "umgewandelt und angewandt",  # 割腕 "gewan"
    "she touched the cartouche",  # 偷车 "touche"
    "sicher und Sicherheit",  # 시체 "siche"
    "salinan saling",  # 살인 "salin"
    "an animation of minimal animals",  # 你妈 "nima"
    "terrorists in a mirroring error",  # ロリ "rori"
    "zeroing an asteroid, heroic heroine",  # エロい "eroi"
    "yeni donanım",  # オナニー "onani"
    "continuer à diminuer",  # 女儿 "nuer"
    "inserzioni terziario",  # 儿子 "erzi"
    "Kommunikation in Nicaragua",  # ニガー "nika"
    "foto erotica di Verona",  # エロ "ero", "erona"
    "una rola nueva, mal di gola",  # гола "rola", "gola"
    "dos chicas débiles, la más débil",  # ДЕБИЛ "debil"
    "a bath bomb, una bomba de humo",  # БОМБА "bomba"
    "las flores, las casas",  # लाश "las"
    "Nanga Parbat at dawn",  # "nanga"
    "un balık, ikan balik",  # बालिका "balik"
    "una ciudad tranquila en Niger",  # нигер
    "oldugundan kabugundan",  # 滚蛋 "gundan"
    "an LCD screen and a 3 letter word",  # лсд "lcd", "3 лет"
)


def test_latin_lookalikes_match_nothing_of_these_lists() -> None:
    own = [path for path in list_files() if not path.name.startswith("allow.")]
    terms = [
        term
        for path in own
        for term in parse_terms(
            Category(path.name.split(".")[0]), path.read_text(encoding="utf-8"), str(path)
        )
    ]
    lists = TermLists(terms, [])
    found = {text: lists.match(normalize(text)) for text in LATIN_LOOKALIKES}
    assert {text: matches for text, matches in found.items() if matches} == {}


def _copy_other_lists(folder: Path) -> None:
    own = set(list_files())
    for path in DATA.glob("*.txt"):
        if path not in own:
            (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


async def test_these_lists_change_no_decision_in_other_languages(
    moderator: Moderator, moderation_settings: SettingsFactory, tmp_path: Path
) -> None:
    _copy_other_lists(tmp_path)
    without = Moderator(moderation_settings(moderation_terms_dir=str(tmp_path)))
    await without.start()
    try:
        others = [
            json.loads(line)["prompt"]
            for path in sorted(PROMPTS.parent.glob("moderation_prompts*.jsonl"))
            if path != PROMPTS
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        changed = []
        for prompt in others:
            with_ours = moderator.prompt_checker.check(prompt, Policy.STANDARD)
            alone = without.prompt_checker.check(prompt, Policy.STANDARD)
            if (with_ours.allowed, with_ours.category) != (alone.allowed, alone.category):
                changed.append((prompt, alone.reason, with_ours.reason))
        assert changed == []
    finally:
        await without.stop()
