"""Flagged output images per chat (``orchestrator.moderation.flagged`` and the gate's
``allowed_outputs``): blocked, behind a spoiler or sent, as the chat has it, within the
operator's bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.moderation.errors import OutputImagesBlocked
from orchestrator.moderation.flagged import Flagged, chat_handling, choose
from state.backend import open_backend
from tests.conftest import make_settings
from tests.orchestrator.moderation.test_gate import BLUE, BROWN, TUNED, job, png, started


@pytest.mark.parametrize(
    ("handling", "sent", "spoilers"),
    [("spoiler", [BLUE, BROWN], [1]), ("allow", [BLUE, BROWN], []), ("block", [BLUE], [])],
)
async def test_a_flagged_output_is_handled_as_the_chat_has_it(
    handling: str, sent: list[bytes], spoilers: list[int]
) -> None:
    async with started(**TUNED) as rig:
        made = job()
        made.flagged_images = handling
        kept = await rig.gate.allowed_outputs(made, [png(BLUE), png(BROWN)])
        assert kept == [png(data) for data in sent]
        assert made.spoiler_images == spoilers


async def test_an_image_nothing_could_check_is_blocked_whatever_the_chat_chose(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "open-nsfw.onnx"
    broken.write_bytes(b"truncated download")  # no image model: strict fails closed
    async with started(moderation_image_model_path=str(broken)) as rig:
        made = job(chat_type="group")
        made.moderation_policy, made.flagged_images = "strict", "allow"
        with pytest.raises(OutputImagesBlocked):
            await rig.gate.allowed_outputs(made, [png(BLUE)])


async def test_a_groups_choice_stays_within_the_operators_bound() -> None:
    settings = make_settings("http://127.0.0.1:9")  # default block, groups up to spoiler
    state = open_backend(None)
    await state.start()
    try:
        store = state.store
        assert await chat_handling(store, settings, -100, "supergroup") is Flagged.BLOCK
        assert not await choose(store, settings, -100, "allow")  # beyond the bound
        assert not await choose(store, settings, -100, "nonsense")
        assert await choose(store, settings, -100, "spoiler")
        assert await chat_handling(store, settings, -100, "supergroup") is Flagged.SPOILER
        assert await chat_handling(store, settings, 7, "private") is Flagged.BLOCK
        lowered = make_settings("http://127.0.0.1:9", moderation_group_flagged_images_max="block")
        assert await chat_handling(store, lowered, -100, "supergroup") is Flagged.BLOCK
        loose = make_settings("http://127.0.0.1:9", moderation_flagged_images="allow")
        assert await chat_handling(store, loose, 7, "private") is Flagged.ALLOW
        assert await chat_handling(store, loose, -200, "group") is Flagged.SPOILER  # bounded
    finally:
        await state.stop()
