"""The contract of ``state/base.py``, run over both implementations (memory and Redis)."""

from __future__ import annotations

import asyncio
import time

import pytest

from state.errors import BUSY_SCOPE, RateLimited
from state.models import InFlightCap, Job, JobKind, JobStatus, Limit, MarkRecord, SentImage
from tests.state.conftest import Backend

NO_CAP = InFlightCap(max_jobs=None, lease_s=60)


def _job(prompt: str = "a fox", user_id: int = 1) -> Job:
    return Job(
        kind=JobKind.GENERATE, prompt=prompt, chat_id=user_id, user_id=user_id, request_message_id=1
    )


async def test_start_stop_idempotent_and_ping(backend: Backend) -> None:
    await backend.store.start()
    await backend.queue.start()
    await backend.state.start()
    assert await backend.store.ping() is True


async def test_first_sighting_is_true_once_however_many_race(backend: Backend) -> None:
    results = await asyncio.gather(
        *(backend.store.first_sighting("update:7", 60) for _ in range(50))
    )
    assert results.count(True) == 1
    assert await backend.store.first_sighting("update:8", 60) is True


async def test_first_sighting_is_true_again_after_its_ttl(backend: Backend) -> None:
    assert await backend.store.first_sighting("k", 0.6)
    assert not await backend.store.first_sighting("k", 0.6)
    await asyncio.sleep(0.7)
    assert await backend.store.first_sighting("k", 0.6)


async def test_a_mark_is_held_by_one_owner_who_may_ask_again(backend: Backend) -> None:
    owners = [f"attempt-{i}" for i in range(20)]
    results = await asyncio.gather(
        *(backend.store.take_mark("delivery:1", owner, 60) for owner in owners)
    )
    assert results.count(True) == 1
    holder = owners[results.index(True)]
    assert await backend.store.take_mark("delivery:1", holder, 60) is True  # answer lost
    assert await backend.store.take_mark("delivery:1", "someone-else", 60) is False
    assert await backend.store.take_mark("delivery:2", "someone-else", 60) is True
    # One key space: a plain sighting holds a key against every owner, and a mark holds
    # it against a sighting (so releases that use either keep honouring the other's).
    assert await backend.store.first_sighting("update:9", 60) is True
    assert await backend.store.take_mark("update:9", "request", 60) is False
    assert await backend.store.first_sighting("delivery:1", 60) is False


async def test_a_mark_is_free_again_after_its_ttl(backend: Backend) -> None:
    assert await backend.store.take_mark("m", "a", 0.6)
    assert not await backend.store.take_mark("m", "b", 0.6)
    await asyncio.sleep(0.7)
    assert await backend.store.take_mark("m", "b", 0.6)
    assert not await backend.store.take_mark("m", "a", 0.6)


async def test_jobs_keep_their_latest_version(backend: Backend) -> None:
    job = _job()
    await backend.store.save_job(job)
    job.status = JobStatus.RUNNING
    job.attempts = 2
    await backend.store.save_job(job)
    job.prompt = "changed after saving"
    loaded = await backend.store.get_job(job.id)
    assert loaded is not None
    assert (loaded.status, loaded.attempts, loaded.prompt) == (JobStatus.RUNNING, 2, "a fox")
    assert await backend.store.get_job("no-such-job") is None


async def test_a_window_admits_max_hits_then_says_when_to_retry(backend: Backend) -> None:
    limit = Limit("user", "user:1", max_hits=3, window_s=1.0)
    for ticket in "abc":
        await backend.store.admit(ticket, [limit], NO_CAP)
    with pytest.raises(RateLimited) as refused:
        await backend.store.admit("d", [limit], NO_CAP)
    assert refused.value.scope == "user"
    assert 0 < refused.value.retry_after_s <= 1.0
    await asyncio.sleep(refused.value.retry_after_s + 0.05)
    await backend.store.admit("d", [limit], NO_CAP)  # the window slid


async def test_concurrent_admissions_never_exceed_the_window(backend: Backend) -> None:
    limit = Limit("user", "user:2", max_hits=5, window_s=60)

    async def attempt(ticket: str) -> bool:
        try:
            await backend.store.admit(ticket, [limit], NO_CAP)
        except RateLimited:
            return False
        return True

    results = await asyncio.gather(*(attempt(f"t{i}") for i in range(40)))
    assert results.count(True) == 5


async def test_a_refusal_consumes_nothing(backend: Backend) -> None:
    user = Limit("user", "user:3", max_hits=3, window_s=60)
    chat = Limit("chat", "chat:-5", max_hits=1, window_s=60)
    cap = InFlightCap(max_jobs=100, lease_s=60)
    await backend.store.admit("a", [user, chat], cap)
    with pytest.raises(RateLimited) as refused:
        await backend.store.admit("b", [user, chat], cap)
    assert refused.value.scope == "chat"
    assert await backend.store.in_flight() == 1
    await backend.store.admit("c", [user], cap)
    await backend.store.admit("d", [user], cap)  # "b" did not use up the user's third hit
    with pytest.raises(RateLimited):
        await backend.store.admit("e", [user], cap)


async def test_the_in_flight_cap_refuses_until_a_release(backend: Backend) -> None:
    cap = InFlightCap(max_jobs=2, lease_s=60, retry_after_s=7)
    await backend.store.admit("a", [], cap)
    await backend.store.admit("b", [], cap)
    with pytest.raises(RateLimited) as refused:
        await backend.store.admit("c", [], cap)
    assert (refused.value.scope, refused.value.retry_after_s) == (BUSY_SCOPE, 7)
    await backend.store.release("a")
    await backend.store.release("a")  # idempotent
    await backend.store.admit("c", [], cap)
    assert await backend.store.in_flight() == 2


async def test_an_unreleased_slot_frees_itself_when_its_lease_ends(backend: Backend) -> None:
    await backend.store.admit("dead-worker", [], InFlightCap(max_jobs=1, lease_s=0.6))
    with pytest.raises(RateLimited):
        await backend.store.admit("next", [], InFlightCap(max_jobs=1, lease_s=60))
    await asyncio.sleep(0.7)
    await backend.store.admit("next", [], InFlightCap(max_jobs=1, lease_s=60))
    assert await backend.store.in_flight() == 1


async def test_an_uncapped_ticket_counts_but_is_never_refused(backend: Backend) -> None:
    await backend.store.admit("a", [], InFlightCap(max_jobs=1, lease_s=60))
    await backend.store.admit("admin", [], NO_CAP)
    assert await backend.store.in_flight() == 2
    with pytest.raises(RateLimited):
        await backend.store.admit("b", [], InFlightCap(max_jobs=1, lease_s=60))


async def test_user_settings_merge(backend: Backend) -> None:
    assert await backend.store.get_user_settings(9) == {}
    await backend.store.set_user_settings(9, {"aspect_ratio": "16:9", "language": "it"})
    await backend.store.set_user_settings(9, {"aspect_ratio": "1:1"})
    assert await backend.store.get_user_settings(9) == {"aspect_ratio": "1:1", "language": "it"}
    assert await backend.store.get_user_settings(10) == {}


async def test_sent_images_are_found_by_chat_message_until_they_expire(backend: Backend) -> None:
    image = SentImage(chat_id=-100, message_id=5, job_id="j1", file_id="AgAD")
    await backend.store.remember_sent_image(image, ttl_s=0.6)
    assert await backend.store.find_sent_image(-100, 5) == image
    assert await backend.store.find_sent_image(-100, 6) is None
    await asyncio.sleep(0.7)
    assert await backend.store.find_sent_image(-100, 5) is None


async def test_marks_name_their_job_until_they_expire(backend: Backend) -> None:
    record = MarkRecord(
        payload=(1 << 48) - 1,
        job_id="j1",
        created_at=1_700_000_000.5,
        kind="generate",
        model="flux",
        provider="replicate",
    )
    await backend.store.remember_mark(record, ttl_s=0.6)
    assert await backend.store.find_mark((1 << 48) - 1) == record
    assert await backend.store.find_mark(1) is None
    await asyncio.sleep(0.7)
    assert await backend.store.find_mark((1 << 48) - 1) is None


async def test_signed_originals_are_kept_byte_for_byte_until_they_expire(
    backend: Backend,
) -> None:
    data = bytes(range(256)) * 40  # every byte value, as a file has them
    await backend.store.keep_original("j1", 0, data, ttl_s=0.6)
    assert await backend.store.find_original("j1", 0) == data
    assert await backend.store.find_original("j1", 1) is None
    await asyncio.sleep(0.7)
    assert await backend.store.find_original("j1", 0) is None


async def test_claim_waits_then_gives_none(backend: Backend) -> None:
    started = time.monotonic()
    assert await backend.queue.claim(0.2) is None
    assert time.monotonic() - started >= 0.15


async def test_queue_hands_each_job_to_one_claimer(backend: Backend) -> None:
    jobs = [_job(f"p{i}") for i in range(20)]
    for job in jobs:
        await backend.queue.enqueue(job)
    assert await backend.queue.pending() == 20
    claimed: list[str] = []

    async def claimer() -> None:
        while (job := await backend.queue.claim(0.2)) is not None:
            claimed.append(job.id)
            await backend.queue.ack(job.id)

    await asyncio.gather(*(claimer() for _ in range(5)))
    assert sorted(claimed) == sorted(job.id for job in jobs)
    assert await backend.queue.pending() == 0


async def test_positions_touch_and_requeue(backend: Backend) -> None:
    first, second, third = _job("1"), _job("2"), _job("3")
    for job in (first, second, third):
        await backend.queue.enqueue(job)
    assert [await backend.queue.position(j.id) for j in (first, second, third)] == [0, 1, 2]
    taken = await backend.queue.claim(1)
    assert taken is not None
    assert taken.id == first.id
    assert taken.prompt == "1"
    assert await backend.queue.position(first.id) is None  # no longer waiting
    assert await backend.queue.position(third.id) == 1
    assert await backend.queue.touch(first.id) is True
    await backend.queue.requeue(taken)
    assert await backend.queue.pending() == 3
    seen = []
    while (job := await backend.queue.claim(0.2)) is not None:
        seen.append(job.prompt)
        await backend.queue.ack(job.id)
    assert sorted(seen) == ["1", "2", "3"]
    assert await backend.queue.touch(first.id) is False  # acknowledged: nobody's
    assert await backend.queue.pending() == 0


async def test_user_settings_hold_a_users_model_defaults(backend: Backend) -> None:
    from orchestrator.catalog import Catalog
    from orchestrator.preferences import load_preferences, save_model, save_preference

    catalog = Catalog.load()
    assert await save_model(backend.store, catalog, 9, "flux-schnell")
    assert await save_model(backend.store, catalog, 9, "kontext")
    assert not await save_model(backend.store, catalog, 9, "midjourney")
    assert await save_preference(backend.store, 9, "aspect_ratio", "16:9")
    assert await save_preference(backend.store, 9, "enhance", "on")
    assert not await save_preference(backend.store, 9, "num_images", "40")
    preferences = await load_preferences(backend.store, catalog, 9)
    assert preferences.models == {"generate": "flux-schnell", "edit": "kontext"}
    assert (preferences.aspect_ratio, preferences.num_images, preferences.enhance) == (
        "16:9",
        None,
        True,
    )
    assert await save_preference(backend.store, 9, "aspect_ratio", None)  # cleared
    assert (await load_preferences(backend.store, catalog, 9)).aspect_ratio is None
    # A default the catalog no longer offers is ignored, not an error.
    smaller = Catalog([e for e in catalog if e.name != "flux-schnell"])
    assert (await load_preferences(backend.store, smaller, 9)).models == {"edit": "kontext"}
    assert (await load_preferences(backend.store, catalog, 10)).models == {}


async def test_a_remembered_value_is_recalled_until_it_expires(backend: Backend) -> None:
    assert await backend.store.recall("enhanced:abc") is None
    await backend.store.remember("enhanced:abc", "a detailed fox, golden hour", 0.3)
    await backend.store.remember("enhanced:def", "ü ünïcode", 60)
    assert await backend.store.recall("enhanced:abc") == "a detailed fox, golden hour"
    assert await backend.store.recall("enhanced:def") == "ü ünïcode"
    await backend.store.remember("enhanced:def", "replaced", 60)
    assert await backend.store.recall("enhanced:def") == "replaced"
    await asyncio.sleep(0.5)
    assert await backend.store.recall("enhanced:abc") is None
