"""The labelled prompt sets (tests/data/moderation_prompts*.jsonl): precision and recall
per category above the floors reported in the README, and no miss at all on minors. A row
is {"prompt", "label", "kind", "split"} and optionally "lang" (a language code, "en" when
absent)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.moderation import Category, Moderator, Policy

PROMPT_SETS = sorted(
    (Path(__file__).resolve().parents[2] / "data").glob("moderation_prompts*.jsonl")
)
LABELS = {"safe", *(category.value for category in Category)}
# Floors under the standard policy (README "Moderation" has the measured values). The
# "dev" split was written together with the term lists; "holdout" was written after them
# and first measured before any list change, so its floors are the honest ones.
FLOORS: dict[str, dict[str, tuple[float, float]]] = {  # label: split: (precision, recall)
    "dev": {
        "safe": (0.97, 0.98),
        "sexual": (0.95, 0.95),
        "minors": (1.0, 1.0),
        "violence": (0.95, 0.95),
        "hate": (0.95, 0.95),
        "self_harm": (0.95, 0.95),
        "illegal": (0.95, 0.95),
        "abuse": (0.9, 0.85),
    },
    "holdout": {
        "safe": (0.85, 0.97),
        "sexual": (0.95, 0.8),
        "minors": (1.0, 1.0),
        "violence": (0.95, 0.8),
        "hate": (0.95, 0.8),
        "self_harm": (0.95, 0.8),
        "illegal": (0.95, 0.75),
        "abuse": (0.9, 0.8),
    },
}


@dataclass(frozen=True)
class Labelled:
    prompt: str
    label: str
    kind: str
    split: str
    lang: str = "en"


def _load() -> list[Labelled]:
    rows = [
        json.loads(line)
        for path in PROMPT_SETS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [Labelled(**row) for row in rows]


ROWS = _load()


def test_the_set_is_large_and_covers_every_kind() -> None:
    assert len(ROWS) >= 300
    assert {row.label for row in ROWS} == LABELS
    assert {row.kind for row in ROWS} == {"plain", "tricky", "obfuscated"}
    assert {"dev", "holdout"} <= {row.split for row in ROWS}
    assert len({row.prompt for row in ROWS}) == len(ROWS)
    unsafe = {row.label for row in ROWS if row.kind == "obfuscated"}
    assert unsafe == LABELS - {"safe"}  # every category has obfuscated prompts


def _predicted(decision_allowed: bool, category: Category | None) -> str:
    return "safe" if decision_allowed else str(category)


@pytest.mark.parametrize("split", ["dev", "holdout"])
async def test_precision_and_recall_per_category(moderator: Moderator, split: str) -> None:
    rows = [row for row in ROWS if row.split == split]
    checker = moderator.prompt_checker
    hits: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter(row.label for row in rows)
    misses = []
    for row in rows:
        decision = checker.check(row.prompt, Policy.STANDARD)
        guess = _predicted(decision.allowed, decision.category)
        predicted[guess] += 1
        if guess == row.label:
            hits[guess] += 1
        else:
            misses.append(f"{row.label} -> {guess}: {row.prompt!r} ({decision.reason})")
    for label, (precision_floor, recall_floor) in FLOORS[split].items():
        precision = hits[label] / predicted[label] if predicted[label] else 1.0
        recall = hits[label] / actual[label]
        assert precision >= precision_floor, (label, precision, misses)
        assert recall >= recall_floor, (label, recall, misses)


@pytest.mark.parametrize("policy", list(Policy))
async def test_minors_are_never_missed_under_any_policy(
    moderator: Moderator, policy: Policy
) -> None:
    minors = [row for row in ROWS if row.label == "minors"]
    assert len(minors) >= 40
    for row in minors:
        decision = moderator.prompt_checker.check(row.prompt, policy)
        assert not decision.allowed, row.prompt
        assert decision.category is Category.MINORS, (row.prompt, decision.reason)
        assert decision.score >= 0.8


async def test_tricky_safe_prompts_pass_the_standard_policy(moderator: Moderator) -> None:
    tricky = [row for row in ROWS if row.kind == "tricky"]
    assert len(tricky) >= 60
    refused = [
        (row.prompt, decision.reason)
        for row in tricky
        if not (decision := moderator.prompt_checker.check(row.prompt, Policy.STANDARD)).allowed
    ]
    assert refused == []


async def test_obfuscated_prompts_land_in_their_category(moderator: Moderator) -> None:
    obfuscated = [row for row in ROWS if row.kind == "obfuscated"]
    wrong = [
        (row.prompt, row.label, decision.reason)
        for row in obfuscated
        if _predicted(
            (decision := moderator.prompt_checker.check(row.prompt, Policy.STANDARD)).allowed,
            decision.category,
        )
        != row.label
    ]
    assert len(wrong) <= len(obfuscated) // 20, wrong  # 95 % at least
