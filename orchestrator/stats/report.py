"""The numbers behind ``/stats``: read from the shared state, so every process agrees.

Jobs, provider calls, blocks and revenue are summed over the window's UTC days (today
included); users are counted today, over 7 days and ever; queue depth and jobs in flight
are now. Latency percentiles come from the samples kept per provider per day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.moderation.models import Category
from orchestrator.settings import Settings
from orchestrator.stats import counters as names
from state.base import JobQueue, StateStore, StatsStore
from state.models import JobKind, JobStatus

CHART_DAYS = 14
FINISHED = (JobStatus.DELIVERED, JobStatus.FAILED)


@dataclass(frozen=True, slots=True)
class ProviderStats:
    name: str
    calls: int
    failures: int
    p50_s: float | None
    p95_s: float | None
    spend_sats: int

    @property
    def success_rate(self) -> float | None:
        return None if not self.calls else (self.calls - self.failures) / self.calls


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: dt.date
    delivered: int
    failed: int
    revenue_sats: int


@dataclass(frozen=True, slots=True)
class StatsReport:
    window_days: int
    users_total: int
    users_today: int
    users_7d: int
    jobs: dict[tuple[str, str], int]  # (status, kind) -> jobs finished in the window
    providers: list[ProviderStats]
    blocks: dict[str, int]  # category -> blocks in the window
    revenue_sats: int
    queue_depth: int
    in_flight: int
    chart: list[DayPoint]  # the last days (CHART_DAYS unless asked otherwise), oldest first

    @property
    def spend_sats(self) -> int:
        return sum(provider.spend_sats for provider in self.providers)


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def last_days(count: int, today: dt.date) -> list[dt.date]:
    return [today - dt.timedelta(days=back) for back in range(count - 1, -1, -1)]


def cost_per_call(settings: Settings, provider: str) -> int:
    costs = settings.provider_cost_sats
    return costs.get(provider, costs.get(provider.split(",")[0], 0))


async def gather_report(
    settings: Settings,
    store: StateStore,
    stats: StatsStore,
    queue: JobQueue,
    provider_names: Sequence[str],
    window_days: int,
    today: dt.date | None = None,
    chart_span: int = CHART_DAYS,
) -> StatsReport:
    """``chart_span``: how many days the chart covers (the chat's PNG: ``CHART_DAYS``)."""
    today = today or names.today()
    days = last_days(max(window_days, chart_span), today)
    window, chart_days = days[-window_days:], days[-chart_span:]
    job_names = {
        (status.value, kind.value): names.jobs(status.value, kind.value)
        for status in FINISHED
        for kind in JobKind
    }
    counter_names = [
        *job_names.values(),
        names.jobs(JobStatus.DELIVERED.value),
        names.jobs(JobStatus.FAILED.value),
        names.REVENUE_SATS,
        *(names.blocks(category.value) for category in Category),
        *(names.provider_calls(name) for name in provider_names),
        *(names.provider_failures(name) for name in provider_names),
    ]
    counts = await stats.read_counters(counter_names, days)

    def in_window(name: str) -> int:
        return sum(counts[name][-window_days:])

    providers = []
    for name in provider_names:
        calls = in_window(names.provider_calls(name))
        failures = in_window(names.provider_failures(name))
        samples = await stats.latencies(name, window)
        providers.append(
            ProviderStats(
                name=name,
                calls=calls,
                failures=failures,
                p50_s=percentile(samples, 0.5),
                p95_s=percentile(samples, 0.95),
                spend_sats=(calls - failures) * cost_per_call(settings, name),
            )
        )
    offset = len(days) - chart_span

    def per_day(name: str, index: int) -> int:
        return counts[name][offset + index]

    chart = [
        DayPoint(
            day=day,
            delivered=per_day(names.jobs(JobStatus.DELIVERED.value), index),
            failed=per_day(names.jobs(JobStatus.FAILED.value), index),
            revenue_sats=per_day(names.REVENUE_SATS, index),
        )
        for index, day in enumerate(chart_days)
    ]
    return StatsReport(
        window_days=window_days,
        users_total=await stats.count_users(),
        users_today=await stats.count_users([today]),
        users_7d=await stats.count_users(last_days(7, today)),
        jobs={key: in_window(name) for key, name in job_names.items()},
        providers=providers,
        blocks={category.value: in_window(names.blocks(category.value)) for category in Category},
        revenue_sats=in_window(names.REVENUE_SATS),
        queue_depth=await queue.pending(),
        in_flight=await store.in_flight(),
        chart=chart,
    )
