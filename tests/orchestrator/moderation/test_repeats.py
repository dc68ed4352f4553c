"""Repeat blocks pause a user fairly (``orchestrator.moderation.repeats`` through the gate):
warned at the block before the pause, told at the block that starts it, paused per
policy (what only a group's strict policy blocks does not pause the user in private)."""

from __future__ import annotations

import pytest

from orchestrator.moderation.errors import InputImageBlocked, PromptBlocked, UserThrottled
from tests.orchestrator.moderation.test_gate import BROWN, MINORS, job, started

COOLDOWN_S = 3600.0
# BROWN (about 0.29) is blocked by the strict (group) image threshold only.
GROUPS_STRICTER = {"moderation_image_threshold": 0.5, "moderation_image_threshold_strict": 0.15}


async def test_the_block_before_the_pause_warns_and_the_pausing_one_says_so() -> None:
    async with started(moderation_repeat_blocks=3) as rig:
        said = []
        for _ in range(3):
            with pytest.raises(PromptBlocked) as caught:
                await rig.gate.check_request(job(MINORS))
            said.append((caught.value.pause_warning_s, caught.value.paused_for_s))
        assert said[0] == (None, None)
        assert said[1] == (COOLDOWN_S, None)  # one more pauses, for this long
        assert said[2][0] is None
        assert said[2][1] is not None
        assert COOLDOWN_S - 5 < said[2][1] <= COOLDOWN_S
        with pytest.raises(UserThrottled):
            await rig.gate.check_request(job())


async def test_blocks_only_a_groups_policy_makes_do_not_pause_in_private() -> None:
    async with started(moderation_repeat_blocks=2, **GROUPS_STRICTER) as rig:
        for _ in range(2):
            edit = job(chat_type="group")
            await rig.gate.check_request(edit)
            with pytest.raises(InputImageBlocked) as caught:
                await rig.gate.check_input(edit, BROWN)
        assert caught.value.paused_for_s is not None
        records = await rig.state.records.recent_blocks(10)
        assert [record.policy for record in records] == ["strict", "strict"]
        with pytest.raises(UserThrottled):
            await rig.gate.check_request(job(chat_type="group"))
        await rig.gate.check_request(job())  # a private chat: not paused


async def test_blocks_a_private_chat_makes_pause_in_groups_too() -> None:
    async with started(moderation_repeat_blocks=2) as rig:
        for _ in range(2):
            with pytest.raises(PromptBlocked):
                await rig.gate.check_request(job(MINORS))
        (record, _) = await rig.state.records.recent_blocks(10)
        assert record.policy == "off"  # the minors rule blocks under every policy
        with pytest.raises(UserThrottled):
            await rig.gate.check_request(job(chat_type="group"))
