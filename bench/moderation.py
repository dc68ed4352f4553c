"""Quality and latency of the moderation engine on this machine (not a test: nothing is
asserted).

    .venv/bin/python -m bench.moderation            # quality tables, then latency
    .venv/bin/python -m bench.moderation --quality  # quality tables only
    .venv/bin/python -m bench.moderation --quality --misses latin-holdout
    .venv/bin/python -m bench.moderation --readme   # rewrite the README's moderation table

Quality, over every labelled set (tests/data/moderation_prompts*.jsonl), standard policy:
per split and label the recall (blocked under the prompt's own category), the share of
unsafe prompts blocked at all, and the false blocks of safe prompts (plain and tricky
apart); per language the same, plus the minors rule (minors prompts blocked as minors
under the ``off`` policy). Latency: the start-up (model load) time, per-prompt latency
through ``Moderator`` (thread pool included) and for the bare check, per-image latency on
the placeholder provider's images and synthetic images, as median and 95th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.images import synthetic_images
from bench.support import WEBHOOK_SECRET
from orchestrator.moderation import Category, Moderator, Policy
from orchestrator.moderation.prompt_check import PromptChecker
from orchestrator.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PROMPT_SETS = sorted((ROOT / "tests" / "data").glob("moderation_prompts*.jsonl"))
PROMPTS = ROOT / "tests" / "data" / "moderation_prompts.jsonl"  # the English set alone
README = ROOT / "README.md"
TABLE_START = "<!-- moderation table: python -m bench.moderation --readme -->"
TABLE_END = "<!-- end of moderation table -->"
# Splits written after the lists and measured before they changed (or never tuned on).
HELD_OUT = frozenset(
    {"holdout", "latin-holdout", "latin-blind", "latin-blind2", "nonlatin-holdout"}
)


@dataclass(frozen=True)
class Row:
    prompt: str
    label: str
    kind: str
    split: str
    lang: str = "en"


def load_rows() -> list[Row]:
    return [
        Row(**json.loads(line))
        for path in PROMPT_SETS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms (n={len(ordered)})"


@dataclass
class Tally:
    """Counts for one group of rows: unsafe rows, those blocked under their own category
    and those blocked at all; safe rows (plain, tricky) and those blocked; minors rows and
    those the minors rule blocked under ``off``."""

    unsafe: int = 0
    right: int = 0
    blocked: int = 0
    plain: int = 0
    plain_blocked: int = 0
    tricky: int = 0
    tricky_blocked: int = 0
    minors: int = 0
    minors_rule: int = 0

    def cells(self) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{part / whole:.2f} ({part}/{whole})" if whole else "-"

        return [
            share(self.right, self.unsafe),
            share(self.blocked, self.unsafe),
            share(self.minors_rule, self.minors),
            share(self.plain_blocked, self.plain),
            share(self.tricky_blocked, self.tricky),
        ]


HEADER = ["recall (own category)", "unsafe blocked", "minors rule", "safe FB", "tricky FB"]


def _table(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n| {title} | " + " | ".join(HEADER) + " |")
    print("| --- " * (len(HEADER) + 1) + "|")
    for name, tally in tallies.items():
        print(f"| {name} | " + " | ".join(tally.cells()) + " |")


def quality(checker: PromptChecker, rows: list[Row], show_misses: set[str]) -> None:
    # split -> ("label" | "language") -> label or language -> counts
    tallies: dict[str, dict[str, dict[str, Tally]]] = defaultdict(
        lambda: {"label": defaultdict(Tally), "language": defaultdict(Tally)}
    )
    misses: list[str] = []
    for row in rows:
        decision = checker.check(row.prompt, Policy.STANDARD)
        groups = tallies[row.split]
        for tally in (
            groups["label"][row.label],
            groups["label"]["all"],
            groups["language"][row.lang],
        ):
            if row.label == "safe":
                if row.kind == "tricky":
                    tally.tricky += 1
                    tally.tricky_blocked += not decision.allowed
                else:
                    tally.plain += 1
                    tally.plain_blocked += not decision.allowed
                continue
            tally.unsafe += 1
            tally.blocked += not decision.allowed
            tally.right += not decision.allowed and decision.category == row.label
            if row.label == Category.MINORS:
                off = checker.check(row.prompt, Policy.OFF)
                tally.minors += 1
                tally.minors_rule += not off.allowed and off.category is Category.MINORS
        guess = "safe" if decision.allowed else str(decision.category)
        if row.split in show_misses and guess != row.label:
            misses.append(
                f"  [{row.lang}] {row.label} -> {guess}: {row.prompt} ({decision.reason})"
            )
    for split, groups in sorted(tallies.items()):
        size = sum(t.unsafe + t.plain + t.tricky for t in groups["language"].values())
        _table(f"{split} (n={size})", dict(sorted(groups["label"].items())))
        if len(groups["language"]) > 1:
            _table(f"{split}: language", dict(sorted(groups["language"].items())))
    if misses:
        print("\nmisses:")
        print("\n".join(misses))


README_HEADER = [
    "prompts",
    "recall (own category)",
    "unsafe blocked",
    "minors rule",
    "safe FB",
    "tricky FB",
    "check ms (median / p95)",
]


def _tallied(
    checker: PromptChecker, rows: list[Row]
) -> tuple[dict[str, Tally], dict[str, Tally], dict[str, list[float]]]:
    """Tallies per category and per language over every row (standard policy; the minors
    rule under ``off``), and each group's check times in ms."""
    by_label: dict[str, Tally] = defaultdict(Tally)
    by_lang: dict[str, Tally] = defaultdict(Tally)
    times: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        started = time.perf_counter()
        decision = checker.check(row.prompt, Policy.STANDARD)
        took = (time.perf_counter() - started) * 1000
        groups = [f"category: {row.label}", "all", f"language: {row.lang}"]
        if row.split in HELD_OUT:
            groups.append("all, held-out splits")
        for group in groups:
            tally = (by_lang if group.startswith("language") else by_label)[group]
            times[group].append(took)
            if row.label == "safe":
                tricky = row.kind == "tricky"
                tally.tricky += tricky
                tally.tricky_blocked += tricky and not decision.allowed
                tally.plain += not tricky
                tally.plain_blocked += not tricky and not decision.allowed
                continue
            tally.unsafe += 1
            tally.blocked += not decision.allowed
            tally.right += not decision.allowed and decision.category == row.label
            if row.label == Category.MINORS:
                off = checker.check(row.prompt, Policy.OFF)
                tally.minors += 1
                tally.minors_rule += not off.allowed and off.category is Category.MINORS
    return by_label, by_lang, times


def readme_table(checker: PromptChecker, rows: list[Row]) -> str:
    """The README's moderation table: per category, then per language, every labelled set
    together under the standard policy; the last column is the bare check's time on this
    machine (it varies from run to run; the other columns do not)."""
    by_label, by_lang, times = _tallied(checker, rows)
    lines = [
        "| group | " + " | ".join(README_HEADER) + " |",
        "| --- " * (len(README_HEADER) + 1) + "|",
    ]
    for tallies in (by_label, by_lang):
        for name, tally in sorted(tallies.items(), key=lambda item: (item[0] != "all", item[0])):
            ordered = sorted(times[name])
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            count = tally.unsafe + tally.plain + tally.tricky
            cost = f"{statistics.median(ordered):.2f} / {p95:.2f}"
            lines.append(f"| {name} | {count} | " + " | ".join([*tally.cells(), cost]) + " |")
    return "\n".join(lines) + "\n"


def rewrite_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    before, _, rest = text.partition(TABLE_START + "\n")
    _, _, after = rest.partition(TABLE_END)
    README.write_text(f"{before}{TABLE_START}\n{table}{TABLE_END}{after}", encoding="utf-8")


async def _time_each(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def latency(moderator: Moderator, prompts: list[str]) -> None:
    samples = await _time_each(
        [lambda p=p: moderator.check_prompt(p, Policy.STANDARD) for p in prompts * 3]
    )
    print(f"prompt via Moderator (standard): {_percentiles(samples)}")
    checker = moderator.prompt_checker
    bare_samples = []
    for prompt in prompts * 3:
        started = time.perf_counter()
        checker.check(prompt, Policy.STANDARD)
        bare_samples.append((time.perf_counter() - started) * 1000)
    print(f"prompt, bare check (no thread hop): {_percentiles(bare_samples)}")
    longest = max(prompts, key=len)
    adversarial = (longest + " ") * (4000 // (len(longest) + 1))
    started = time.perf_counter()
    checker.check(adversarial, Policy.STANDARD)
    print(
        f"prompt of {len(adversarial)} characters: {(time.perf_counter() - started) * 1000:.1f} ms"
    )
    images = await synthetic_images()
    image_model = moderator.image_checker.model
    if image_model is not None:
        bare_images = []
        for data in list(images.values()) * 3:
            started = time.perf_counter()
            image_model.score(data)
            bare_images.append((time.perf_counter() - started) * 1000)
        print(f"image, bare model (no thread hop): {_percentiles(bare_images)}")
    samples = await _time_each(
        [lambda d=d: moderator.check_image(d, Policy.STRICT) for d in images.values()] * 3
    )
    print(f"image via Moderator (768 px placeholder and synthetic): {_percentiles(samples)}")
    with Image.open(io.BytesIO(images["placeholder:a red fox in the snow"])) as small:
        buffer = io.BytesIO()
        small.resize((2048, 2048)).save(buffer, format="JPEG", quality=90)
    big = buffer.getvalue()
    samples = await _time_each([lambda: moderator.check_image(big, Policy.STRICT)] * 10)
    print(f"image via Moderator (2048 px JPEG): {_percentiles(samples)}")
    for name, data in images.items():
        decision = await moderator.check_image(data, Policy.STRICT)
        print(f"  {name:40} score {decision.score:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quality", action="store_true", help="quality tables only")
    parser.add_argument("--misses", nargs="*", default=[], help="list misses of these splits")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's table")
    args = parser.parse_args()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token="1:bench", telegram_webhook_secret=WEBHOOK_SECRET
    )
    moderator = Moderator(settings)
    started = time.perf_counter()
    await moderator.start()
    print(f"start-up (models loaded, warmed): {time.perf_counter() - started:.2f} s")
    print(f"checks active: {', '.join(moderator.active_checks)}")
    rows = load_rows()
    try:
        if args.readme:
            rewrite_readme(readme_table(moderator.prompt_checker, rows))
            return
        quality(moderator.prompt_checker, rows, set(args.misses))
        if not args.quality:
            await latency(moderator, [row.prompt for row in rows])
    finally:
        await moderator.stop()


if __name__ == "__main__":
    asyncio.run(main())
