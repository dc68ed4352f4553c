"""The README's moderation table is what the code measures now: every column but the
check's time (which varies from run to run) is recomputed from the labelled sets."""

from __future__ import annotations

from bench.moderation import README, TABLE_END, TABLE_START, load_rows, readme_table
from orchestrator.moderation import Moderator


def _without_time(table: str) -> list[str]:
    return [line.rsplit("|", 2)[0] for line in table.strip().splitlines()]


def _times(table: str) -> list[str]:
    return [line.rsplit("|", 2)[1].strip() for line in table.strip().splitlines()[2:]]


async def test_the_readme_table_is_current(moderator: Moderator) -> None:
    text = README.read_text(encoding="utf-8")
    written = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    measured = readme_table(moderator.prompt_checker, load_rows())
    assert _without_time(written) == _without_time(measured), (
        "stale: run python -m bench.moderation --readme"
    )
    for cell in _times(written):
        median, p95 = (float(value) for value in cell.split(" / "))
        assert 0 < median <= p95
