"""Admission (``orchestrator.jobs.admission.Admission``) at its interface, on memory state
with a started moderation gate and, where payments are on, the fake payment backend.

Covered: the per-user and per-group-chat rate limits and the cap on jobs in flight (what
refuses, with which scope, what is counted), admins' exemptions, in-flight slots (held by
admitted jobs, never by refused ones, given back by ``withdraw``), moderation refusing
before anything is taken, and payment: a parked job holds no slot, a withdrawn one gets
its reservation back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrator.jobs.admission import Admission
from orchestrator.moderation.errors import PromptBlocked
from orchestrator.moderation.gate import ModerationGate
from orchestrator.payments.errors import PaymentRequired
from orchestrator.payments.notices import PaymentNotice
from orchestrator.payments.service import PaymentService
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend, open_backend
from state.errors import BUSY_SCOPE, RateLimited
from state.models import Job, JobKind, Tier
from tests.conftest import make_settings

ADMIN = 42  # tests.conftest.make_settings: admin_user_ids="42"
SAFE_PROMPT = "a lighthouse at dusk, oil painting"


@dataclass
class Gate:
    admission: Admission
    backend: StateBackend

    async def in_flight(self) -> int:
        return await self.backend.store.in_flight()

    async def holds(self, user_id: int) -> tuple[int, int, int]:
        """The user's available and reserved sats, and the slots in flight."""
        balance = await self.backend.ledger.balance(user_id)
        return balance.available_sats, balance.reserved_sats, await self.in_flight()

    async def rate_limited(self) -> int:
        return await self.backend.stats.counter("requests_rate_limited")


class SilentNotifier:
    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return None


@asynccontextmanager
async def opened(**overrides: Any) -> AsyncIterator[Gate]:
    settings = make_settings("http://127.0.0.1:9", **overrides)
    backend = open_backend(None)
    await backend.start()
    moderation = ModerationGate(settings, backend.records, backend.stats)
    await moderation.start()
    payments = None
    if settings.payments_backend != "none":

        async def submit(job: Job) -> None:
            raise AssertionError("nothing is paid for here")

        payments = PaymentService(settings, FakePaymentBackend(), backend, submit, SilentNotifier())
    try:
        yield Gate(Admission(settings, backend.store, backend.stats, moderation, payments), backend)
    finally:
        await moderation.stop()
        await backend.stop()


def job(user_id: int = 7, chat_id: int | None = None, prompt: str = SAFE_PROMPT) -> Job:
    chat_id = user_id if chat_id is None else chat_id
    chat_type = "private" if chat_id > 0 else "group"
    return Job(
        kind=JobKind.GENERATE,
        prompt=prompt,
        chat_id=chat_id,
        user_id=user_id,
        request_message_id=1,
        chat_type=chat_type,
    )


async def refused(admit: Callable[[Job], Awaitable[None]], refused_job: Job) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        await admit(refused_job)
    return caught.value


async def test_the_user_limit_refuses_the_second_job() -> None:
    async with opened(rate_limit_per_minute=1) as gate:
        first = job()
        await gate.admission.admit(first)
        assert first.moderation_policy == "standard"  # moderation ran first
        error = await refused(gate.admission.admit, job())
        assert error.scope == "user"
        assert 0 < error.retry_after_s <= 60
        assert await gate.in_flight() == 1  # only the admitted job holds a slot
        assert await gate.rate_limited() == 1
        await gate.admission.admit(job(user_id=8))  # another user has a budget of their own
        assert await gate.in_flight() == 2


async def test_admins_pass_the_limits() -> None:
    async with opened(rate_limit_per_minute=1, max_concurrent_jobs=1) as gate:
        for _ in range(3):
            await gate.admission.admit(job(user_id=ADMIN))
        assert await gate.in_flight() == 3  # counted in flight all the same
        assert await gate.rate_limited() == 0


async def test_withdraw_gives_the_slot_back() -> None:
    async with opened(rate_limit_per_minute=5, max_concurrent_jobs=1) as gate:
        first = job()
        await gate.admission.admit(first)
        assert (await refused(gate.admission.admit, job(user_id=8))).scope == BUSY_SCOPE
        await gate.admission.withdraw(first)
        assert await gate.in_flight() == 0
        await gate.admission.admit(job(user_id=8))
        assert await gate.in_flight() == 1
        await gate.admission.withdraw(first)  # idempotent: the other job keeps its slot
        assert await gate.in_flight() == 1


async def test_the_group_chat_limit_counts_every_member() -> None:
    async with opened(rate_limit_per_minute=5, rate_limit_chat_per_minute=1) as gate:
        await gate.admission.admit(job(user_id=7, chat_id=-100))
        error = await refused(gate.admission.admit, job(user_id=8, chat_id=-100))
        assert error.scope == "chat"
        await gate.admission.admit(job(user_id=8, chat_id=-200))  # another group
        await gate.admission.admit(job(user_id=8))  # and the user's private chat
        assert await gate.in_flight() == 3


async def test_a_blocked_prompt_takes_nothing() -> None:
    async with opened(rate_limit_per_minute=1) as gate:
        with pytest.raises(PromptBlocked) as caught:
            await gate.admission.admit(job(prompt="a teen in a bikini"))
        assert caught.value.category == "minors"
        assert await gate.in_flight() == 0
        await gate.admission.admit(job())  # the refused request used no window either
        assert await gate.in_flight() == 1
        assert await gate.rate_limited() == 0


async def test_a_job_parked_behind_an_invoice_holds_no_slot() -> None:
    async with opened(payments_backend="fake", price_generate_sats=100) as gate:
        parked = job()
        with pytest.raises(PaymentRequired) as caught:
            await gate.admission.admit(parked)
        assert caught.value.missing_sats == 100
        assert await gate.holds(7) == (0, 0, 0)
        assert parked.reserved_sats is None


async def test_withdraw_releases_the_reservation() -> None:
    async with opened(payments_backend="fake", price_generate_sats=100) as gate:
        assert await gate.backend.ledger.credit(7, "topup-1", 150)
        admitted = job()
        await gate.admission.admit(admitted)
        assert admitted.reserved_sats == 100
        assert await gate.holds(7) == (50, 100, 1)
        await gate.admission.withdraw(admitted)
        assert await gate.holds(7) == (150, 0, 0)


async def test_the_tier_follows_how_the_job_is_paid() -> None:
    async with opened(
        payments_backend="fake", price_generate_sats=100, free_generations_per_day=1
    ) as gate:
        assert await gate.backend.ledger.credit(7, "topup-1", 500)
        free, paid = job(), job()
        await gate.admission.admit(free)  # today's free image
        await gate.admission.admit(paid)  # bought credits
        assert (free.reserved_sats, free.tier) == (0, Tier.RELAX)
        assert (paid.reserved_sats, paid.tier) == (100, Tier.FAST)
        await gate.admission.admit(job(user_id=8))  # user 8's free image, and no credits
        parked = job(user_id=8)
        with pytest.raises(PaymentRequired):
            await gate.admission.admit(parked)
        assert parked.tier is None  # it gets its tier when paid (Runtime.submit)


async def test_free_service_is_relax_and_granted_users_are_turbo() -> None:
    async with opened(turbo_user_ids="9") as gate:
        plain, granted, admin, sold = job(), job(user_id=9), job(user_id=ADMIN), job(user_id=10)
        sold.tier = Tier.TURBO  # a front end that sells turbo sets it beforehand
        for each in (plain, granted, admin, sold):
            await gate.admission.admit(each)
        assert [each.tier for each in (plain, granted, admin, sold)] == [
            Tier.RELAX,
            Tier.TURBO,
            Tier.TURBO,
            Tier.TURBO,
        ]
