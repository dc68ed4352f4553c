"""The ``/stats`` chart: jobs (delivered and failed) and revenue per day, as a PNG.

Drawn with matplotlib's object API on the Agg canvas, never pyplot: pyplot keeps global
state and is not safe in threads, and the chart is drawn in a worker thread so that the
event loop goes on serving updates meanwhile.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from orchestrator.stats.report import DayPoint

WIDTH_IN, HEIGHT_IN, DPI = 10, 5, 100
CHART_SIZE_PX = (WIDTH_IN * DPI, HEIGHT_IN * DPI)


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    jobs: str
    delivered: str
    failed: str
    revenue: str


def render_chart(points: Sequence[DayPoint], labels: ChartLabels) -> bytes:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    jobs_axis = figure.add_subplot()
    x = list(range(len(points)))
    delivered = [point.delivered for point in points]
    failed = [point.failed for point in points]
    jobs_axis.bar(x, delivered, color="#2e7d32", label=labels.delivered)
    jobs_axis.bar(x, failed, bottom=delivered, color="#c62828", label=labels.failed)
    jobs_axis.set_ylabel(labels.jobs)
    jobs_axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    jobs_axis.set_xticks(x, [point.day.strftime("%m-%d") for point in points], rotation=45)
    revenue_axis = jobs_axis.twinx()
    revenue = [point.revenue_sats for point in points]
    revenue_axis.plot(x, revenue, color="#f9a825", marker="o", label=labels.revenue)
    revenue_axis.set_ylabel(labels.revenue)
    totals = [point.delivered + point.failed for point in points]
    revenue_axis.set_ylim(bottom=0, top=max([1, *revenue]) * 1.1)
    jobs_axis.set_ylim(bottom=0, top=max([1, *totals]) * 1.1)
    handles = jobs_axis.get_legend_handles_labels()
    more = revenue_axis.get_legend_handles_labels()
    jobs_axis.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left")
    jobs_axis.set_title(labels.title)
    figure.subplots_adjust(left=0.08, right=0.9, top=0.9, bottom=0.15)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
