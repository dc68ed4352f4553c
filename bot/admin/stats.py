"""``/stats`` for admins: the numbers as text and a chart of the last days as a PNG.

``/stats`` covers the last 14 days (UTC, today included), ``/stats 30d`` another window
of 1 to 90 days; users are always counted today, over 7 days and ever, and the chart
always shows the last 14 days. Only in a private chat: the numbers (revenue above all)
are not for a group's eyes. Everyone else is refused politely.
"""

from __future__ import annotations

import asyncio
import re

import structlog
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.admin.stats_chart import ChartLabels, render_chart
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from orchestrator.stats.report import CHART_DAYS, StatsReport
from state.errors import StateError

log = structlog.get_logger(__name__)

DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 90
_WINDOW = re.compile(r"^(\d{1,3})d$", re.IGNORECASE)


def parse_window(args: list[str]) -> int | None:
    """Days of the window: none given is the default; None when malformed or out of range."""
    if not args:
        return DEFAULT_WINDOW_DAYS
    match = _WINDOW.match(args[0]) if len(args) == 1 else None
    days = int(match.group(1)) if match else 0
    return days if 1 <= days <= MAX_WINDOW_DAYS else None


def _seconds(value: float | None, language: str | None) -> str:
    return texts.text("stats_na", language) if value is None else f"{value:.2f} s"


def format_report(report: StatsReport, language: str | None) -> str:
    def t(key: str, **fields: object) -> str:
        return texts.text(key, language, **fields)

    jobs = report.jobs
    lines = [
        t("stats_header", days=report.window_days),
        t(
            "stats_users",
            total=report.users_total,
            today=report.users_today,
            week=report.users_7d,
        ),
        t(
            "stats_jobs",
            status=t("stats_delivered"),
            generate=jobs[("delivered", "generate")],
            edit=jobs[("delivered", "edit")],
        ),
        t(
            "stats_jobs",
            status=t("stats_failed"),
            generate=jobs[("failed", "generate")],
            edit=jobs[("failed", "edit")],
        ),
    ]
    for provider in report.providers:
        rate = provider.success_rate
        lines.append(
            t(
                "stats_provider",
                name=provider.name,
                calls=provider.calls,
                success=t("stats_na") if rate is None else f"{rate:.0%}",
                p50=_seconds(provider.p50_s, language),
                p95=_seconds(provider.p95_s, language),
            )
        )
    blocked = [f"{category} {n}" for category, n in report.blocks.items() if n]
    lines.append(t("stats_blocks", blocks=", ".join(blocked) if blocked else t("stats_none")))
    lines.append(t("stats_money", revenue=report.revenue_sats, spend=report.spend_sats))
    lines.append(t("stats_queue", queued=report.queue_depth, in_flight=report.in_flight))
    return "\n".join(lines)


def chart_labels(language: str | None) -> ChartLabels:
    return ChartLabels(
        title=texts.text("stats_chart_title", language, days=CHART_DAYS),
        jobs=texts.text("stats_chart_jobs", language),
        delivered=texts.text("stats_delivered", language),
        failed=texts.text("stats_failed", language),
        revenue=texts.text("stats_chart_revenue", language),
    )


class StatsCommand:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handler(self) -> BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]:
        return CommandHandler("stats", self.stats, filters=filters.UpdateType.MESSAGE)

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        language = language_of(update)
        if user.id not in self._settings.admin_user_ids:
            await answers.reply(message, texts.text("stats_admins_only", language))
            return
        if message.chat.type != "private":
            await answers.reply(message, texts.text("stats_private_only", language))
            return
        window_days = parse_window(list(context.args or []))
        if window_days is None:
            await answers.reply(
                message, texts.text("stats_usage", language, max_days=MAX_WINDOW_DAYS)
            )
            return
        try:
            report = await self._submitter.stats_report(window_days)
        except StateError as exc:
            log.error("stats_not_read", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        await answers.reply(message, format_report(report, language))
        png = await asyncio.to_thread(render_chart, report.chart, chart_labels(language))
        await message.reply_photo(png)
