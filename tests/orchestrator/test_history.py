from __future__ import annotations

from orchestrator.history import EditHistory
from state.memory import MemoryStateStore
from state.models import Job, JobKind


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
