"""Moderator as a component: idempotent start/stop, checks only while started, in its own
thread pool, and a start-up log that says which checks are active."""

from __future__ import annotations

import asyncio
import threading

import pytest
import structlog

from orchestrator.moderation import Moderator, ModeratorNotStarted, Policy
from tests.orchestrator.moderation.conftest import SettingsFactory, flat


async def test_start_and_stop_are_idempotent(moderation_settings: SettingsFactory) -> None:
    moderator = Moderator(moderation_settings())
    with structlog.testing.capture_logs() as logs:
        await asyncio.gather(moderator.start(), moderator.start())
        await moderator.start()
    assert [e["event"] for e in logs].count("moderation.started") == 1
    started = next(e for e in logs if e["event"] == "moderation.started")
    assert started["checks"] == ["terms", "minors_rule", "profanity_model", "image_model"]
    assert started["missing"] == []
    assert (started["private"], started["groups"]) == ("standard", "strict")
    assert moderator.started
    await moderator.stop()
    await moderator.stop()
    assert not moderator.started
    assert moderator.active_checks == ()


async def test_checks_need_a_started_moderator(moderation_settings: SettingsFactory) -> None:
    moderator = Moderator(moderation_settings())
    with pytest.raises(ModeratorNotStarted):
        await moderator.check_prompt("a red fox")
    with pytest.raises(ModeratorNotStarted):
        await moderator.check_image(flat((0, 0, 0)), Policy.STRICT)
    await moderator.start()
    assert (await moderator.check_prompt("a red fox")).allowed
    await moderator.stop()
    with pytest.raises(ModeratorNotStarted):
        await moderator.check_prompt("a red fox")


async def test_a_stopped_moderator_starts_again(moderation_settings: SettingsFactory) -> None:
    moderator = Moderator(moderation_settings())
    await moderator.start()
    await moderator.stop()
    await moderator.start()
    try:
        assert not (await moderator.check_prompt("porn")).allowed
    finally:
        await moderator.stop()


async def test_checks_run_in_the_pool_not_on_the_event_loop(moderator: Moderator) -> None:
    loop_thread = threading.get_ident()
    decisions = await asyncio.gather(
        *(moderator.check_prompt(f"a red fox number {i}") for i in range(8)),
        moderator.check_image(flat((10, 120, 200)), Policy.STRICT),
    )
    assert all(decision.allowed for decision in decisions)
    names = {thread.name for thread in threading.enumerate() if thread.ident != loop_thread}
    assert any(name.startswith("moderation") for name in names)
