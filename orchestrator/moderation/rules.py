"""Co-occurrence rules of the term lists: words that are harmless alone but not together
("bomb" and "step by step", "refugees" and "cockroaches", a named person and "being
stabbed").

In a list file, ``word | @part`` puts a word in a part (it scores nothing alone) and
``@a + @b | 0.9`` scores 0.9 in that file's category when both parts matched anywhere in
the prompt; ``@a + @b within 3 | 1.0`` only when a word of each stands at most three
words apart (either order), in the same form of the prompt. A part named twice
(``@a + @a``) needs two different words of it. Parts are shared by all files, so a rule
in violence.txt may use a part of people named in another file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.moderation.models import Category

PART_PREFIX = "@"
_RULE = re.compile(r"@[a-z_]+(?: *\+ *@[a-z_]+)+(?: +within +\d+)?")


@dataclass(frozen=True)
class Rule:
    category: Category
    entry: str  # as written in the list
    parts: tuple[str, ...]  # part names, a name repeated for "two different words"
    weight: float
    within: int | None = None  # words at most between the two parts' words


@dataclass(frozen=True)
class PartHit:
    """A word of a part found in the prompt: in which form, at which words (``None``:
    inside a spelled-out word, where positions mean nothing)."""

    part: str
    term: str
    form: int
    start: int | None
    end: int | None


def is_rule(entry: str) -> bool:
    return entry.startswith(PART_PREFIX)


def parse_rule(category: Category, entry: str, weight: float) -> Rule:
    """``@a + @b [within N]``; raises ValueError when malformed."""
    if not _RULE.fullmatch(entry):
        raise ValueError("a rule looks like '@part + @part' or '@part + @part within 3'")
    body, _, within = entry.partition(" within ")
    parts = tuple(part.strip().removeprefix(PART_PREFIX) for part in body.split("+"))
    if within and len(parts) != 2:
        raise ValueError("'within' joins exactly two parts")
    return Rule(category, entry, parts, weight, int(within) if within else None)


def _apart(a: PartHit, b: PartHit) -> int | None:
    """Words between ``a`` and ``b`` in the same form (0: adjacent), ``None`` when they
    cannot be compared or overlap."""
    if a.form != b.form or a.start is None or b.start is None or a.end is None or b.end is None:
        return None
    if a.end <= b.start:
        return b.start - a.end
    if b.end <= a.start:
        return a.start - b.end
    return None


def _near(rule: Rule, by_part: dict[str, list[PartHit]]) -> list[PartHit] | None:
    first, second = rule.parts
    assert rule.within is not None
    for a in by_part[first]:
        for b in by_part[second]:
            gap = _apart(a, b)
            if gap is not None and gap <= rule.within and a.term != b.term:
                return [a, b]
    return None


def fired(rules: Iterable[Rule], hits: Iterable[PartHit]) -> list[tuple[Rule, list[str]]]:
    """Each rule whose parts all matched, with the words that made it (one per part)."""
    by_part: dict[str, list[PartHit]] = defaultdict(list)
    for hit in hits:
        by_part[hit.part].append(hit)
    out: list[tuple[Rule, list[str]]] = []
    for rule in rules:
        if rule.within is not None:
            pair = _near(rule, by_part)
            if pair is not None:
                out.append((rule, [hit.term for hit in pair]))
            continue
        words: list[str] = []
        for part in dict.fromkeys(rule.parts):
            needed = rule.parts.count(part)
            distinct = list(dict.fromkeys(hit.term for hit in by_part[part]))
            if len(distinct) < needed:
                break
            words += distinct[:needed]
        else:
            out.append((rule, words))
    return out
