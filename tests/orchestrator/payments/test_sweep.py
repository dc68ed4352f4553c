"""Reservations a dead process left behind, swept by another process's payment service.

A killed process leaves what ``PaymentService.charge`` did and nothing after: the price
reserved, the job never saved nor queued. A second service on the same state (the memory
backend's very objects, or the same Redis) releases it once the grace period has passed;
the reservation of a queued (or running) job is left alone, a failed job's is released and
a delivered job's is captured for the images it sent.

A parked hold (free images and credit held for a request behind its invoice) whose process
died before recording the invoice, or after resolving it and before queueing the job, is
released once it is older than the invoice could live; one with a pending invoice is not.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrator.payments.charges import today
from orchestrator.payments.errors import PaymentRequired
from orchestrator.payments.reconciliation import sweep_parked
from orchestrator.payments.service import PaymentService
from orchestrator.stats.counters import REVENUE_SATS
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend, open_backend
from state.errors import InsufficientCredits
from state.models import Balance, Job, JobKind, JobStatus
from tests.conftest import make_settings
from tests.orchestrator.payments.test_service import RecordingNotifier
from tests.redis_server import RedisServer

USER, CHAT = 7, 7
GRACE_S = 0.5


@dataclass
class Processes:
    """Two processes' payment services on one state: ``dead`` charged and was killed."""

    dead: PaymentService
    alive: PaymentService
    state: StateBackend  # the survivor's view of the state

    async def balance(self) -> Balance:
        return await self.state.ledger.balance(USER)

    async def sweep_parked(self, older_than_s: float) -> int:
        """The survivor's sweep of parked holds, with the invoice's lifetime given."""
        state = self.state
        return await sweep_parked(state.ledger, state.store, older_than_s, lambda _: None)


def _service(state: StateBackend, **overrides: Any) -> PaymentService:
    settings = make_settings(
        "http://127.0.0.1:9",
        payments_backend="fake",
        price_generate_sats=100,
        reservation_sweep_grace_s=GRACE_S,
        **overrides,
    )

    async def submit(job: Job) -> None:
        raise AssertionError("nothing is resumed here")

    return PaymentService(settings, FakePaymentBackend(), state, submit, RecordingNotifier([]))


@pytest.fixture(params=["memory", "redis"])
async def processes(request: pytest.FixtureRequest) -> AsyncIterator[Processes]:
    if request.param == "memory":
        dead_state = alive_state = open_backend(None)  # one process's objects, shared
        opened = [dead_state]
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"sweep-{uuid.uuid4().hex[:12]}:"
        dead_state = open_backend(server.url, key_prefix=prefix)
        alive_state = open_backend(server.url, key_prefix=prefix)
        opened = [dead_state, alive_state]
    for state in opened:
        await state.start()
    try:
        yield Processes(_service(dead_state), _service(alive_state), alive_state)
    finally:
        for state in opened:
            await state.stop()


def _job(**fields: Any) -> Job:
    values = {"kind": JobKind.GENERATE, "prompt": "a fox", "request_message_id": 1, **fields}
    return Job(chat_id=CHAT, user_id=USER, **values)


async def test_a_reservation_whose_job_was_never_queued_is_released_after_the_grace(
    processes: Processes,
) -> None:
    assert await processes.state.ledger.credit(USER, "topup", 300)
    lost = _job(num_images=2)
    await processes.dead.charge(lost)  # then the process was killed: never saved or queued
    assert lost.reserved_sats == 200
    assert await processes.balance() == Balance(100, 200)

    assert await processes.alive.sweep_reservations() == 0  # within the grace: admission
    assert await processes.balance() == Balance(100, 200)
    await asyncio.sleep(GRACE_S + 0.1)
    assert await processes.alive.sweep_reservations() == 1
    assert await processes.balance() == Balance(300, 0)
    assert await processes.alive.sweep_reservations() == 0  # once
    assert await processes.state.ledger.held_reservations(0) == []


async def test_a_queued_job_keeps_its_reservation_and_settled_ends_are_finished(
    processes: Processes,
) -> None:
    ledger, store = processes.state.ledger, processes.state.store
    assert await ledger.credit(USER, "topup", 1000)
    queued, failed, delivered, running = _job(), _job(), _job(num_images=4), _job()
    for job in (queued, failed, delivered, running):
        await processes.dead.charge(job)
    await store.save_job(queued)
    await processes.state.queue.enqueue(queued)
    running.status = JobStatus.RUNNING
    await store.save_job(running)
    failed.status = JobStatus.FAILED  # its release was lost with its process
    await store.save_job(failed)
    delivered.status = JobStatus.DELIVERED  # sent 2 of 4; its capture was lost
    delivered.result_file_ids = ["file-0", "file-1"]
    await store.save_job(delivered)
    assert await processes.balance() == Balance(300, 700)

    await asyncio.sleep(GRACE_S + 0.1)
    assert await processes.alive.sweep_reservations() == 2
    assert await processes.balance() == Balance(600, 200)  # 100 back, 200 captured, 2 held
    assert await processes.state.stats.counter(REVENUE_SATS) == 200
    held = await ledger.held_reservations(0)
    assert sorted(h.job_id for h in held) == sorted([queued.id, running.id])


async def test_the_reconciliation_loop_sweeps_by_itself(processes: Processes) -> None:
    assert await processes.state.ledger.credit(USER, "topup", 100)
    await processes.dead.charge(_job())
    assert await processes.balance() == Balance(0, 100)
    alive = _service(processes.state, payments_reconcile_s=0.1)
    await alive.start()
    try:
        for _ in range(100):  # the grace (0.5 s), then the next pass (every 0.1 s)
            await asyncio.sleep(0.05)
            if await processes.balance() == Balance(100, 0):
                break
        assert await processes.balance() == Balance(100, 0)
    finally:
        await alive.stop()


async def test_a_parked_hold_whose_invoice_was_never_recorded_is_released(
    processes: Processes,
) -> None:
    ledger = processes.state.ledger
    assert await ledger.credit(USER, "topup", 150)
    dying = _service(processes.state, free_generations_per_day=1)
    lost = _job(num_images=3)  # 1 free, 200 sats for 2: 150 there
    with pytest.raises(InsufficientCredits):  # parked; killed before its invoice was recorded
        await dying.charges.reserve(lost, park=True)
    assert await processes.balance() == Balance(0, 150, 1)
    await asyncio.sleep(GRACE_S + 0.1)

    assert await processes.alive.sweep_reservations() == 0  # its invoice could still be open
    assert await processes.balance() == Balance(0, 150, 1)
    assert await processes.sweep_parked(60) == 0  # not yet as old as that
    assert await processes.sweep_parked(GRACE_S) == 1
    assert await processes.balance() == Balance(150, 0, 0)
    assert await ledger.free_used(USER, today()) == 0
    assert await processes.sweep_parked(0) == 0  # once
    assert await ledger.parked_reservations(0) == []


async def test_a_parked_hold_with_a_pending_invoice_is_kept_until_it_is_resolved(
    processes: Processes,
) -> None:
    ledger, store = processes.state.ledger, processes.state.store
    assert await ledger.credit(USER, "topup", 30)
    parked = _job()
    with pytest.raises(PaymentRequired) as required:
        await processes.dead.charge(parked)
    assert await processes.balance() == Balance(0, 30)
    await asyncio.sleep(GRACE_S + 0.1)
    assert await processes.sweep_parked(0) == 0  # its invoice is still pending
    assert await processes.balance() == Balance(0, 30)

    # Paid: resolved, then the process died before reserving the rest and queueing the job.
    assert await ledger.credit(USER, "invoice:paid", required.value.missing_sats)
    assert await ledger.resolve_pending(required.value.invoice.id) is not None
    assert await processes.sweep_parked(0) == 1
    assert await processes.balance() == Balance(100, 0)  # what it held, and the payment
    stored = await store.get_job(parked.id)
    assert stored is not None
    assert (stored.status, stored.error) == (JobStatus.FAILED, "Unpaid")
