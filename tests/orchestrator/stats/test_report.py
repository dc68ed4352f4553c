"""The pieces of ``/stats`` that need no chat: percentiles, prices, windows, settings."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bot.admin.stats import parse_window
from orchestrator.stats.report import cost_per_call, last_days, percentile
from tests.conftest import make_settings


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([], 0.5) is None


def test_last_days_end_today_oldest_first() -> None:
    today = dt.date(2026, 3, 1)
    assert last_days(3, today) == [dt.date(2026, 2, 27), dt.date(2026, 2, 28), today]


def test_provider_costs_are_read_and_a_chain_is_priced_as_its_first() -> None:
    settings = make_settings("http://127.0.0.1:1", provider_cost_sats="replicate=40, fal=55")
    assert settings.provider_cost_sats == {"replicate": 40, "fal": 55}
    assert cost_per_call(settings, "fal") == 55
    assert cost_per_call(settings, "replicate,fal") == 40
    assert cost_per_call(settings, "placeholder") == 0


@pytest.mark.parametrize("value", ["replicate", "replicate=lots", "fal=-1"])
def test_bad_provider_costs_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="provider_cost_sats"):
        make_settings("http://127.0.0.1:1", provider_cost_sats=value)


@pytest.mark.parametrize(
    ("args", "days"),
    [
        ([], 14),
        (["1d"], 1),
        (["30d"], 30),
        (["90D"], 90),
        (["91d"], None),
        (["0d"], None),
        (["30"], None),
        (["d"], None),
        (["7d", "8d"], None),
        (["-5d"], None),
    ],
)
def test_windows(args: list[str], days: int | None) -> None:
    assert parse_window(args) == days
