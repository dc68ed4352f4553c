"""Term lists by category, the allow-list, and matching them against normalised text.

The lists are data files (``data/<category>.txt`` and ``data/<category>.<lang>.txt``,
format in ``data/README.txt``) shipped with the package; ``MODERATION_TERMS_DIR`` replaces
the folder. Besides words with weights, a list holds parts and rules (``rules``): words
that only count together with words of another part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from orchestrator.moderation.errors import TermListError
from orchestrator.moderation.models import TERM_CATEGORIES, Category
from orchestrator.moderation.normalize import NormalizedText, normalize_term
from orchestrator.moderation.patterns import (
    AFTER,
    BEFORE,
    REGEX_PREFIX,
    Compiled,
    Term,
    compile_terms,
    located,
    without_spaces,
)
from orchestrator.moderation.rules import (
    PART_PREFIX,
    PartHit,
    Rule,
    fired,
    is_rule,
    parse_rule,
)
from orchestrator.moderation.transliterate import LIST_SCRIPTS

_K = TypeVar("_K")
ALLOW_FILE = "allow.txt"
NAME_ENTRY = "<name>"  # a part's entry for the names written with capitals in the prompt
# Categories with list files: the term categories, and abuse, whose lists add insults in
# the languages the profanity model (English) does not read.
LISTED_CATEGORIES: tuple[Category, ...] = (*TERM_CATEGORIES, Category.ABUSE)
_PLURAL = "(?:s|es)?"


Entry = Term | Rule


def bundled_directory() -> Traversable:
    return files("orchestrator.moderation") / "data"


@dataclass(frozen=True)
class TermMatch:
    category: Category
    term: str
    weight: float


def _pattern(entry: str) -> str:
    if entry.startswith(REGEX_PREFIX):
        source = entry.removeprefix(REGEX_PREFIX).strip()
        re.compile(source)  # raises re.error, reported with the line by the caller
        re.compile(without_spaces(source))  # its spelled-out twin too ("(?<!a )" fails)
        return source
    leading, trailing = entry.startswith("*"), entry.endswith("*")
    words = normalize_term(entry.strip("*"))
    if not words:
        raise ValueError("has no letters or digits")
    body = re.escape(words)
    return ("[a-z0-9]*" if leading else "") + body + ("[a-z0-9]*" if trailing else _PLURAL)


def _script_of(source: str) -> str:
    """The script a list file's entries need (``LIST_SCRIPTS``), by its language; its words
    written in ASCII need none."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    parts = name.split(".")
    return LIST_SCRIPTS.get(parts[1], "") if len(parts) == 3 else ""


def parse_terms(category: Category, text: str, source: str) -> list[Entry]:
    """Terms, parts' words and rules of one list file; ``source`` names the file in
    errors, and by its language (``<category>.<lang>.txt``) the script its entries need."""
    terms: list[Entry] = []
    script = _script_of(source)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(REGEX_PREFIX) else raw
        if not line.strip():
            continue
        entry, _, weight_text = line.rpartition(" | ") if " | " in line else (line, "", "")
        entry = entry.strip()
        try:
            if weight_text.strip().startswith(PART_PREFIX):
                part = weight_text.strip().removeprefix(PART_PREFIX)
                if not part.replace("_", "").isalpha() or not part.islower():
                    raise ValueError("a part is named like @bomb_words")
                pattern = "" if entry == NAME_ENTRY else _pattern(entry)
                needs = "" if entry.isascii() and not entry.startswith(REGEX_PREFIX) else script
                terms.append(Term(category, entry, 0.0, pattern, part, needs))
                continue
            weight = float(weight_text) if weight_text else 1.0
            if not 0.0 <= weight <= 1.0:
                raise ValueError("weight must be between 0 and 1")
            if is_rule(entry):
                terms.append(parse_rule(category, entry, weight))
                continue
            # A word written in Latin letters in such a list (romanised Hindi) is for Latin text.
            needs = "" if entry.isascii() and not entry.startswith(REGEX_PREFIX) else script
            terms.append(Term(category, entry, weight, _pattern(entry), script=needs))
        except (ValueError, re.error) as exc:
            raise TermListError(source, number, str(exc)) from exc
    return terms


def parse_allow(text: str) -> list[str]:
    phrases = (line.split("#", 1)[0] for line in text.splitlines())
    return [normalize_term(phrase) for phrase in phrases if normalize_term(phrase)]


def _files_of(files: list[Traversable], stem: str) -> list[Traversable]:
    """``<stem>.txt`` and ``<stem>.<language>.txt`` among ``files``."""
    return [
        path
        for path in files
        if path.name == f"{stem}.txt"
        or (
            path.name.startswith(f"{stem}.")
            and path.name.endswith(".txt")
            and path.name.count(".") == 2
        )
    ]


class TermLists:
    """Compiled term lists: one pattern per category, longest entries tried first so
    "child porn" wins over "child" where both start."""

    def __init__(self, terms: Iterable[Entry], allow: Iterable[str]) -> None:
        by_category: dict[Category, list[Term]] = {category: [] for category in Category}
        by_part: dict[str, list[Term]] = {}
        self.rules: list[Rule] = []
        self._names: set[str] = set()  # parts that take the prompt's capitalised names
        for term in terms:
            if isinstance(term, Rule):
                self.rules.append(term)
            elif term.part is None:
                by_category[term.category].append(term)
            elif term.entry == NAME_ENTRY:
                self._names.add(term.part)
            else:
                by_part.setdefault(term.part, []).append(term)
        known = set(by_part) | self._names
        for rule in self.rules:
            if missing := sorted(set(rule.parts) - known):
                raise ValueError(f"rule {rule.entry!r} names parts no list has: {missing}")
        self.terms = by_category
        self.parts = by_part
        self._patterns = _compiled_by_script(by_category)
        self._part_patterns = _compiled_by_script(by_part)
        phrases = sorted(set(allow), key=len, reverse=True)
        self.allow = tuple(phrases)
        self._allow = (
            re.compile(f"{BEFORE}(?:{'|'.join(re.escape(p) for p in phrases)}){AFTER}")
            if phrases
            else None
        )

    @classmethod
    def load(
        cls, directory: Path | Traversable | None = None, extra_allow: Iterable[str] = ()
    ) -> TermLists:
        """Reads ``<category>.txt`` and ``<category>.<language>.txt`` (e.g. ``minors.es.txt``)
        for each term category, and ``allow.txt`` and ``allow.<language>.txt``, from
        ``directory`` (the bundled lists by default); a missing file is an empty list."""
        folder = directory if directory is not None else bundled_directory()
        files = sorted((entry for entry in folder.iterdir() if entry.is_file()), key=str)
        lists = tuple(
            (category, path.read_text(encoding="utf-8"), str(path))
            for category in LISTED_CATEGORIES
            for path in _files_of(files, category.value)
        )
        allow = tuple(
            path.read_text(encoding="utf-8")
            for path in _files_of(files, ALLOW_FILE.removesuffix(".txt"))
        )
        return _built(lists, allow, tuple(p for p in extra_allow if p.strip()))

    def mask_allowed(self, text: str) -> str:
        """``text`` with allow-listed phrases blanked out (words around them stay apart)."""
        return self._allow.sub(" ", text) if self._allow is not None else text

    def match(self, text: NormalizedText) -> list[TermMatch]:
        """Every distinct (category, term) found in any form of ``text``, and every rule
        whose parts all matched (reported as its words joined by " + ")."""
        found: dict[tuple[Category, str], TermMatch] = {}
        masked = [self.mask_allowed(variant) for variant in text.variants]
        # A spelled-out word that is itself a term ("m a s s a c r e") is that word; only
        # the others are searched inside (so "massacre" does not also yield "ass").
        patterns = [
            (category, compiled)
            for (category, script), compiled in self._patterns.items()
            if not script or script in text.scripts
        ]
        whole = {
            word
            for word in text.spelled
            if any(compiled.scan.fullmatch(word) for _, compiled in patterns)
        }
        # ...and one that is a term after a one-letter word ("a n a k e d": "a" + "naked")
        # is read that way, not searched inside ("anak").
        spelled = [word for word in text.spelled if word not in whole and word[1:] not in whole]
        masked += sorted(whole)
        for category, compiled in patterns:
            for term, shown, _, _ in located(compiled, masked, spelled):
                found.setdefault((category, shown), TermMatch(category, shown, term.weight))
        if self.rules:
            for rule, words in fired(self.rules, self._part_hits(text, masked, spelled)):
                shown = " + ".join(words)
                key = (rule.category, shown)
                found.setdefault(key, TermMatch(rule.category, shown, rule.weight))
        return list(found.values())

    def _part_hits(
        self, text: NormalizedText, masked: list[str], spelled: list[str]
    ) -> list[PartHit]:
        hits = [
            PartHit(part, shown, form, start, end)
            for (part, script), compiled in self._part_patterns.items()
            if not script or script in text.scripts
            for _, shown, form, (start, end) in located(compiled, masked, spelled)
        ]
        for part in self._names:
            for name in text.names:
                for form, variant in enumerate(masked):
                    at = f" {variant} ".find(f" {name} ")
                    if at >= 0:
                        start = variant.count(" ", 0, at)
                        hits.append(PartHit(part, name, form, start, start + name.count(" ") + 1))
                        break
        return hits


def _compiled_by_script(listed: Mapping[_K, list[Term]]) -> dict[tuple[_K, str], Compiled]:
    """One pattern per key and script its terms need."""
    groups: dict[tuple[_K, str], list[Term]] = {}
    for key, terms in listed.items():
        for term in terms:
            groups.setdefault((key, term.script), []).append(term)
    return {key: compile_terms(terms) for key, terms in groups.items()}


@lru_cache(maxsize=4)
def _built(
    lists: tuple[tuple[Category, str, str], ...], allow: tuple[str, ...], extra: tuple[str, ...]
) -> TermLists:
    """Term lists from the files' texts, kept for the process: compiling the patterns of
    a few thousand entries takes seconds, and a restarted ``Moderator`` (or the tests'
    many) reads the same files. ``TermLists`` is not changed after it is built."""
    terms = [
        term for category, text, source in lists for term in parse_terms(category, text, source)
    ]
    phrases = [phrase for text in allow for phrase in parse_allow(text)]
    return TermLists(terms, [*phrases, *(normalize_term(p) for p in extra)])
