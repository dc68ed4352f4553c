"""Repeat blocks: a user whose prompts (or images sent to be edited) are blocked again and
again is paused for a while, fairly.

- ``MODERATION_REPEAT_BLOCKS`` blocks within ``MODERATION_REPEAT_WINDOW_S`` pause the user
  for ``MODERATION_REPEAT_COOLDOWN_S`` after the last of them (0 blocks: never).
- A pause is per policy: each block is recorded with the loosest policy that blocks it, and
  counts only under that policy and stricter ones. A prompt only a group's strict policy
  blocks pauses the user in strict chats, never in private chats (standard); one standard
  blocks counts in both.
- The block before the one that would pause carries a warning (``pause_warning_s``); the
  block that pauses says so and for how long (``paused_for_s``); the front end says it.
- Output blocks never count: the user did not choose the pixels. Admins are never paused.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from orchestrator.moderation.errors import ContentBlocked
from orchestrator.moderation.models import Decision, Policy
from orchestrator.settings import Settings
from state.base import ModerationRecords
from state.errors import StateError
from state.models import BlockRecord

log = structlog.get_logger(__name__)

PROMPT, INPUT_IMAGE, OUTPUT_IMAGE = "prompt", "input_image", "output_image"
THROTTLE_STAGES = frozenset({PROMPT, INPUT_IMAGE})
LOOSEST_FIRST = (Policy.OFF, Policy.STANDARD, Policy.STRICT)


def counts_under(block: BlockRecord, policy: Policy) -> bool:
    """Whether ``block`` counts towards a pause under ``policy``."""
    if block.stage not in THROTTLE_STAGES:
        return False
    if block.policy not in LOOSEST_FIRST:
        return True
    return LOOSEST_FIRST.index(Policy(block.policy)) <= LOOSEST_FIRST.index(policy)


async def loosest_blocking(
    policy: Policy, check: Callable[[Policy], Awaitable[Decision]]
) -> Policy:
    """The loosest policy, up to ``policy`` (which blocked), under which ``check`` blocks."""
    for looser in LOOSEST_FIRST[: LOOSEST_FIRST.index(policy)]:
        if not (await check(looser)).allowed:
            return looser
    return policy


class RepeatBlocks:
    def __init__(self, settings: Settings, records: ModerationRecords) -> None:
        self._settings = settings
        self._records = records

    async def _state(self, user_id: int, policy: Policy, now: float) -> tuple[int, float]:
        """Blocks counted under ``policy`` within the window up to now, and until when the
        user is paused (0: not paused)."""
        settings = self._settings
        needed, window_s = settings.moderation_repeat_blocks, settings.moderation_repeat_window_s
        cooldown_s = settings.moderation_repeat_cooldown_s
        blocks = await self._records.blocks_since(user_id, now - window_s - cooldown_s)
        times = sorted(block.at for block in blocks if counts_under(block, policy))
        until = 0.0
        for last in range(needed - 1, len(times)):
            if times[last] - times[last - needed + 1] <= window_s:
                until = max(until, times[last] + cooldown_s)
        return sum(1 for at in times if at >= now - window_s), until

    async def paused_for(self, user_id: int, policy: Policy) -> float:
        """Seconds the user is still paused for under ``policy`` (0: not paused)."""
        if self._settings.moderation_repeat_blocks == 0:
            return 0.0
        now = time.time()
        _, until = await self._state(user_id, policy, now)
        return max(0.0, until - now)

    async def tell(self, refusal: ContentBlocked, user_id: int, policy: Policy) -> None:
        """After a counted block was recorded: mark ``refusal`` with the warning (one more
        block pauses) or the pause it started."""
        needed = self._settings.moderation_repeat_blocks
        if needed == 0:
            return
        now = time.time()
        try:
            recent, until = await self._state(user_id, policy, now)
        except StateError as exc:  # the block stands; only what it says of pauses is lost
            log.warning("repeat_blocks_unread", error=repr(exc))
            return
        if until > now:
            refusal.paused_for_s = until - now
        elif recent == needed - 1:
            refusal.pause_warning_s = self._settings.moderation_repeat_cooldown_s
