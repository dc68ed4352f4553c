"""Term lists by category, the allow-list, and matching them against normalised text.

The lists are data files (``data/<category>.txt``, format in ``data/README.txt``) shipped
with the package; ``MODERATION_TERMS_DIR`` replaces the folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from orchestrator.moderation.errors import TermListError
from orchestrator.moderation.models import TERM_CATEGORIES, Category
from orchestrator.moderation.normalize import NormalizedText, normalize_term

ALLOW_FILE = "allow.txt"
REGEX_PREFIX = "re:"
_PLURAL = "(?:s|es)?"
_BEFORE = r"(?<![a-z0-9])"
_AFTER = r"(?![a-z0-9])"


def bundled_directory() -> Traversable:
    return files("orchestrator.moderation") / "data"


@dataclass(frozen=True)
class Term:
    category: Category
    entry: str  # as written in the list, for decisions and logs
    weight: float
    pattern: str  # regular expression over normalised text, without boundaries


@dataclass(frozen=True)
class TermMatch:
    category: Category
    term: str
    weight: float


def _pattern(entry: str) -> str:
    if entry.startswith(REGEX_PREFIX):
        source = entry.removeprefix(REGEX_PREFIX).strip()
        re.compile(source)  # raises re.error, reported with the line by the caller
        return source
    leading, trailing = entry.startswith("*"), entry.endswith("*")
    words = normalize_term(entry.strip("*"))
    if not words:
        raise ValueError("has no letters or digits")
    body = re.escape(words)
    return ("[a-z0-9]*" if leading else "") + body + ("[a-z0-9]*" if trailing else _PLURAL)


def _without_spaces(pattern: str) -> str:
    """``pattern`` for words spelled out letter by letter ("killmyself"), which have lost
    their spaces: escaped spaces go, a pattern entry's own spaces become optional."""
    return pattern.replace("\\ ", "").replace(" ", " ?")


def parse_terms(category: Category, text: str, source: str) -> list[Term]:
    """Terms of one list file; ``source`` names the file in errors."""
    terms: list[Term] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(REGEX_PREFIX) else raw
        if not line.strip():
            continue
        entry, _, weight_text = line.rpartition(" | ") if " | " in line else (line, "", "")
        entry = entry.strip()
        try:
            weight = float(weight_text) if weight_text else 1.0
            if not 0.0 <= weight <= 1.0:
                raise ValueError("weight must be between 0 and 1")
            terms.append(Term(category, entry, weight, _pattern(entry)))
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

    def __init__(self, terms: Iterable[Term], allow: Iterable[str]) -> None:
        by_category: dict[Category, list[Term]] = {category: [] for category in Category}
        for term in terms:
            by_category[term.category].append(term)
        self.terms = by_category
        self._patterns: dict[Category, tuple[re.Pattern[str], re.Pattern[str], list[Term]]] = {}
        for category, listed in by_category.items():
            if not listed:
                continue
            ordered = sorted(listed, key=lambda term: len(term.pattern), reverse=True)
            groups = "|".join(f"(?P<t{i}>{term.pattern})" for i, term in enumerate(ordered))
            spelled = "|".join(
                f"(?P<t{i}>{_without_spaces(term.pattern)})" for i, term in enumerate(ordered)
            )
            self._patterns[category] = (
                re.compile(f"{_BEFORE}(?:{groups}){_AFTER}"),
                re.compile(spelled),
                ordered,
            )
        phrases = sorted(set(allow), key=len, reverse=True)
        self.allow = tuple(phrases)
        self._allow = (
            re.compile(f"{_BEFORE}(?:{'|'.join(re.escape(p) for p in phrases)}){_AFTER}")
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
        terms: list[Term] = []
        for category in TERM_CATEGORIES:
            for path in _files_of(files, category.value):
                terms += parse_terms(category, path.read_text(encoding="utf-8"), str(path))
        allow = [
            phrase
            for path in _files_of(files, ALLOW_FILE.removesuffix(".txt"))
            for phrase in parse_allow(path.read_text(encoding="utf-8"))
        ]
        return cls(terms, [*allow, *(normalize_term(p) for p in extra_allow if p.strip())])

    def mask_allowed(self, text: str) -> str:
        """``text`` with allow-listed phrases blanked out (words around them stay apart)."""
        return self._allow.sub(" ", text) if self._allow is not None else text

    def match(self, text: NormalizedText) -> list[TermMatch]:
        """Every distinct (category, term) found in any form of ``text``."""
        found: dict[tuple[Category, str], TermMatch] = {}
        masked = [self.mask_allowed(variant) for variant in text.variants]
        # A spelled-out word that is itself a term ("m a s s a c r e") is that word; only
        # the others are searched inside (so "massacre" does not also yield "ass").
        spelled = [
            word
            for word in text.spelled
            if not any(bounded.fullmatch(word) for bounded, _, _ in self._patterns.values())
        ]
        for category, (bounded, unbounded, ordered) in self._patterns.items():
            hits = [hit for variant in masked for hit in bounded.finditer(variant)]
            hits += [hit for word in spelled for hit in unbounded.finditer(word)]
            for hit in hits:
                term = ordered[int(hit.lastgroup.removeprefix("t"))] if hit.lastgroup else None
                if term is not None:
                    # A pattern entry is reported by what it matched ("12yo").
                    shown = hit.group() if term.entry.startswith(REGEX_PREFIX) else term.entry
                    found.setdefault((category, shown), TermMatch(category, shown, term.weight))
        return list(found.values())
