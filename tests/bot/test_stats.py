"""``/stats`` end to end: jobs through the real Replicate client against the fake service,
then an admin asks, over the Bot API emulator, with state in memory and on Redis."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from bot.admin.stats_chart import CHART_SIZE_PX
from orchestrator.stats import counters as names
from orchestrator.stats.report import DayPoint
from tests.conftest import Stack
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate

ADMIN_ID = 42  # make_settings: ADMIN_USER_IDS=42
REPLICATE_COST_SATS = 40


@pytest.fixture
def settings_overrides(fake_replicate: FakeReplicate) -> dict[str, Any]:
    # Generate on Replicate (a provider that can fail on cue), edit on the placeholder.
    return hosted_settings(fake_replicate) | {
        "provider_cost_sats": f"replicate={REPLICATE_COST_SATS},placeholder=0"
    }


async def _generate(stack: Stack, user_id: int, prompt: str) -> None:
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text=f"/generate {prompt}"))


async def _ask(stack: Stack, text: str, user_id: int = ADMIN_ID) -> list[str]:
    """What the bot answered in text to ``text`` from ``user_id`` in a private chat."""
    user = stack.emulator.user(user_id, "Root", language_code="en")
    chat = stack.emulator.private_chat(user)
    before = len(stack.emulator.calls_to("sendMessage"))
    await stack.send(stack.emulator.user_message(chat, user, text=text))
    return [call.params["text"] for call in stack.emulator.calls_to("sendMessage")[before:]]


async def test_admin_gets_the_numbers_and_a_chart(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    await _generate(stack, 1001, "a red fox")
    await _generate(stack, 1002, "a blue fox")
    fake_replicate.final_error = "NSFW content detected"
    await _generate(stack, 1002, "a green fox")
    assert len(stack.emulator.calls_to("sendPhoto")) == 2
    # What payments and moderation count, under the names they share with /stats.
    await names.count(stack.runtime.stats, names.REVENUE_SATS, 250)
    await names.count(stack.runtime.stats, names.blocks("sexual"))

    (answer,) = await _ask(stack, "/stats")

    lines = answer.splitlines()
    assert lines[0] == texts.text("stats_header", days=14)
    assert texts.text("stats_users", total=2, today=2, week=2) in lines
    delivered, failed = texts.text("stats_delivered"), texts.text("stats_failed")
    assert texts.text("stats_jobs", status=delivered, generate=2, edit=0) in lines
    assert texts.text("stats_jobs", status=failed, generate=1, edit=0) in lines
    (replicate,) = [line for line in lines if "replicate" in line]
    assert replicate.startswith("Provider replicate: 3 calls, 67% succeeded, latency p50 ")
    assert texts.text("stats_blocks", blocks="sexual 1") in lines
    assert texts.text("stats_money", revenue=250, spend=2 * REPLICATE_COST_SATS) in lines
    assert texts.text("stats_queue", queued=0, in_flight=0) in lines
    report = await stack.runtime.stats_report(14)
    assert report.chart[-1] == DayPoint(names.today(), delivered=2, failed=1, revenue_sats=250)
    assert [point.delivered for point in report.chart[:-1]] == [0] * 13

    (photo,) = stack.emulator.calls_to("sendPhoto")[2:]
    assert photo.params["chat_id"] == ADMIN_ID
    (png,) = photo.files.values()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE_PX


async def test_another_window_and_a_bad_one(stack: Stack) -> None:
    await _generate(stack, 1001, "a fox")
    (answer,) = await _ask(stack, "/stats 30d")
    assert answer.splitlines()[0] == texts.text("stats_header", days=30)
    assert texts.text("stats_jobs", status=texts.text("stats_delivered"), generate=1, edit=0) in (
        answer.splitlines()
    )
    photos = len(stack.emulator.calls_to("sendPhoto"))
    for bad in ("/stats 91d", "/stats 0d", "/stats week", "/stats 7d 8d"):
        assert await _ask(stack, bad) == [texts.text("stats_usage", max_days=90)]
    assert len(stack.emulator.calls_to("sendPhoto")) == photos  # no chart for a bad window


async def test_everyone_else_is_refused_politely(stack: Stack) -> None:
    assert await _ask(stack, "/stats", user_id=1001) == [texts.text("stats_admins_only")]
    assert stack.emulator.calls_to("sendPhoto") == []
