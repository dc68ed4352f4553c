from __future__ import annotations

from orchestrator.history import EditHistory
from state.memory import MemoryStateStore
from state.models import InputImage, Job, JobKind


async def test_an_image_sent_behind_a_spoiler_is_never_offered_again() -> None:
    store = MemoryStateStore()
    history = EditHistory(store)
    job = Job(
        kind=JobKind.GENERATE, prompt="two tiles", chat_id=-100, user_id=7, request_message_id=1
    )
    job.result_file_ids = ["shown", "hidden"]
    job.spoiler_images = [1]
    await store.save_job(job)
    await history.record(job)
    assert await history.recent(7) == ["shown"]
    assert await history.maker("hidden") is not None  # /undo and History still know it


async def test_a_version_first_sent_behind_a_spoiler_is_shown_again_behind_one() -> None:
    store = MemoryStateStore()
    history = EditHistory(store)
    made = Job(
        kind=JobKind.GENERATE, prompt="a tile", chat_id=-100, user_id=7, request_message_id=1
    )
    made.result_file_ids, made.spoiler_images = ["plain", "flagged"], [1]
    edit = Job(
        kind=JobKind.EDIT,
        prompt="make it blue",
        chat_id=-100,
        user_id=7,
        request_message_id=2,
        input_image=InputImage(file_id="flagged"),
    )
    edit.result_file_ids = ["blue"]
    for job in (made, edit):
        await store.save_job(job)
        await history.record(job)
    previous = await history.previous("blue")
    assert previous is not None
    assert (previous.file_id, previous.spoiler) == ("flagged", True)
    assert [v.spoiler for v in await history.chain("blue")] == [True, False]
