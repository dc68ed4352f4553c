"""The moderation gate (``orchestrator.moderation.gate.ModerationGate``) at its interface:
started with the offline models, on the memory state backend's records and stats.

Covered: ``check_request`` (safe prompts pass and fix the chat's policy on the job;
blocked prompts are recorded and counted; the minors rule holds where moderation is off;
bans; repeat offenders throttled, admins never), ``check_input`` (not an image, a blocked
image) and ``allowed_outputs`` (safe images kept, blocked or unreadable ones dropped, and
what is raised when nothing is left). A "tuned" gate blocks a flat brown image, which the
image model scores far above a flat blue one, so no explicit image is needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from fulmine.errors import InvalidInput
from orchestrator.moderation.errors import (
    InputImageBlocked,
    OutputImagesBlocked,
    PromptBlocked,
    UserBanned,
    UserThrottled,
)
from orchestrator.moderation.gate import ModerationGate
from providers.base import ProviderImage
from providers.errors import UnusableOutput
from state.backend import StateBackend, open_backend
from state.models import Job, JobKind
from tests.conftest import make_settings
from tests.orchestrator.moderation.conftest import flat

ADMIN = 42  # tests.conftest.make_settings: admin_user_ids="42"
SAFE = "a lighthouse at dusk, oil painting"
MINORS = "a teen in a bikini"  # the minors rule: a minor term with a sexual one
BLUE = flat((30, 60, 220), size=64)  # the image model scores it about 0.01
BROWN = flat((141, 85, 36), size=64)  # about 0.29: blocked by the tuned threshold
TUNED = {"moderation_image_threshold": 0.15}  # private chats: between the two


@dataclass
class Rig:
    gate: ModerationGate
    state: StateBackend

    async def blocks(self) -> list[tuple[int, str, str]]:
        recent = await self.state.records.recent_blocks(10)
        return [(block.user_id, block.stage, block.category) for block in recent]

    async def counted(self, category: str) -> int:
        return await self.state.stats.counter(f"moderation_blocks:{category}")


@asynccontextmanager
async def started(**overrides: Any) -> AsyncIterator[Rig]:
    settings = make_settings("http://127.0.0.1:9", **overrides)
    state = open_backend(None)
    await state.start()
    gate = ModerationGate(settings, state.records, state.stats)
    await gate.start()
    try:
        yield Rig(gate, state)
    finally:
        await gate.stop()
        await state.stop()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with started() as opened:
        yield opened


def job(prompt: str = SAFE, user_id: int = 7, chat_type: str = "private") -> Job:
    chat_id = user_id if chat_type == "private" else -100
    return Job(
        kind=JobKind.GENERATE,
        prompt=prompt,
        chat_id=chat_id,
        user_id=user_id,
        request_message_id=1,
        chat_type=chat_type,
    )


def png(data: bytes) -> ProviderImage:
    return ProviderImage(data, "image/png")


async def test_a_safe_prompt_passes_and_fixes_the_chat_s_policy(rig: Rig) -> None:
    private, group = job(), job(chat_type="group")
    await rig.gate.check_request(private)
    await rig.gate.check_request(group)
    assert (private.moderation_policy, group.moderation_policy) == ("standard", "strict")
    assert await rig.blocks() == []


async def test_a_blocked_prompt_is_recorded_and_counted(rig: Rig) -> None:
    blocked = job(MINORS)
    with pytest.raises(PromptBlocked) as caught:
        await rig.gate.check_request(blocked)
    assert (caught.value.category, caught.value.score) == ("minors", 1.0)
    [record] = await rig.state.records.recent_blocks(10)
    assert (record.user_id, record.chat_id, record.stage, record.category) == (
        7,
        7,
        "prompt",
        "minors",
    )
    assert record.prompt_hash == hashlib.sha256(MINORS.encode()).hexdigest()
    assert await rig.counted("minors") == 1


async def test_the_minors_rule_holds_where_moderation_is_off() -> None:
    async with started(moderation_private="off") as rig:
        await rig.gate.check_request(job("a decapitated body"))  # off: only the minors rule
        with pytest.raises(PromptBlocked) as caught:
            await rig.gate.check_request(job(MINORS))
        assert caught.value.category == "minors"


async def test_a_banned_user_is_refused_until_unbanned(rig: Rig) -> None:
    assert await rig.state.records.ban(7)
    refused = job()
    with pytest.raises(UserBanned):
        await rig.gate.check_request(refused)
    assert refused.moderation_policy is None  # refused before the prompt was looked at
    assert await rig.blocks() == []
    await rig.gate.check_request(job(user_id=8))  # nobody else is
    assert await rig.state.records.unban(7)
    await rig.gate.check_request(job())


async def test_repeated_blocks_throttle_the_user() -> None:
    async with started(moderation_repeat_blocks=2) as rig:
        for _ in range(2):
            with pytest.raises(PromptBlocked):
                await rig.gate.check_request(job(MINORS))
        with pytest.raises(UserThrottled) as caught:
            await rig.gate.check_request(job())  # even a safe prompt, for a while
        assert 3500 < caught.value.retry_after_s <= 3600  # the cooldown after the last
        await rig.gate.check_request(job(user_id=8))  # only that user
        assert len(await rig.blocks()) == 2  # the throttled request is not a block


async def test_admins_are_never_throttled() -> None:
    async with started(moderation_repeat_blocks=2) as rig:
        for _ in range(3):  # still blocked each time, never throttled
            with pytest.raises(PromptBlocked):
                await rig.gate.check_request(job(MINORS, user_id=ADMIN))
        await rig.gate.check_request(job(user_id=ADMIN))
        assert len(await rig.blocks()) == 3


async def test_an_input_that_is_not_an_image_is_invalid(rig: Rig) -> None:
    edit = job()
    with pytest.raises(InvalidInput):
        await rig.gate.check_input(edit, b"GIF89a but not really")
    await rig.gate.check_input(edit, BLUE)
    assert await rig.blocks() == []


async def test_a_blocked_input_image_is_recorded_and_counts_towards_throttling() -> None:
    async with started(moderation_repeat_blocks=1, **TUNED) as rig:
        edit = job()
        await rig.gate.check_request(edit)
        with pytest.raises(InputImageBlocked) as caught:
            await rig.gate.check_input(edit, BROWN)
        assert caught.value.category == "sexual"
        assert await rig.blocks() == [(7, "input_image", "sexual")]
        with pytest.raises(UserThrottled):
            await rig.gate.check_request(job())


async def test_safe_outputs_are_kept_and_unreadable_ones_dropped(rig: Rig) -> None:
    made = job()
    assert await rig.gate.allowed_outputs(made, [png(BLUE)]) == [png(BLUE)]
    kept = await rig.gate.allowed_outputs(made, [png(b"garbage"), png(BLUE)])
    assert kept == [png(BLUE)]
    with pytest.raises(UnusableOutput):
        await rig.gate.allowed_outputs(made, [png(b"garbage")])
    assert await rig.blocks() == []


async def test_blocked_outputs_are_dropped_recorded_and_never_throttle() -> None:
    async with started(moderation_repeat_blocks=1, **TUNED) as rig:
        made = job()
        assert await rig.gate.allowed_outputs(made, [png(BROWN), png(BLUE)]) == [png(BLUE)]
        with pytest.raises(OutputImagesBlocked) as caught:
            await rig.gate.allowed_outputs(made, [png(BROWN), png(BROWN)])
        assert caught.value.category == "sexual"
        assert await rig.blocks() == [(7, "output_image", "sexual")] * 3
        assert await rig.counted("sexual") == 3
        await rig.gate.check_request(job())  # the user did not choose the pixels
