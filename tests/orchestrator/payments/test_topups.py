"""Top-up invoices (``PaymentService.create_topup``, ``/buy``, and ``create_pool_invoice``,
``/fund``, counted with them) are bounded per user: an open
invoice of the same amount is shown again instead of a new one, at most a few are open at
once, and at most a few are sent an hour. On memory and on Redis; the fake backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrator.payments.service import PaymentService
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend, open_backend
from state.errors import RateLimited
from state.models import Job
from tests.conftest import make_settings
from tests.orchestrator.payments.test_service import RecordingNotifier
from tests.redis_server import RedisServer

USER, OTHER, CHAT = 7, 8, 7


@dataclass
class Rig:
    service: PaymentService
    state: StateBackend

    async def buy(self, sats: int, user_id: int = USER) -> tuple[str, bool]:
        topup = await self.service.create_topup(user_id, CHAT, sats, "en")
        return topup.invoice.id, topup.reused

    async def issued(self, user_id: int = USER) -> int:
        return len(await self.state.ledger.pending_of(user_id))


@pytest.fixture(params=["memory", "redis"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture
async def make(state_url: str | None) -> AsyncIterator[Any]:
    opened: list[StateBackend] = []

    async def build(expiry_s: float = 900.0, **overrides: Any) -> Rig:
        prefix = f"topup-{uuid.uuid4().hex[:12]}:"
        state = open_backend(state_url, key_prefix=prefix)
        await state.start()
        opened.append(state)
        settings = make_settings("http://127.0.0.1:9", payments_backend="fake", **overrides)

        async def submit(job: Job) -> None:
            raise AssertionError("no job here")

        backend = FakePaymentBackend(expiry_s=expiry_s)
        return Rig(PaymentService(settings, backend, state, submit, RecordingNotifier([])), state)

    yield build
    for state in opened:
        await state.stop()


async def test_an_open_invoice_of_the_same_amount_is_shown_again(make: Any) -> None:
    rig: Rig = await make(topup_invoices_per_hour=10)
    first, reused = await rig.buy(1_000_000)
    assert not reused
    again = [await rig.buy(1_000_000) for _ in range(4)]
    assert again == [(first, True)] * 4
    assert await rig.issued() == 1  # one invoice on the node, one record to poll
    topup = await rig.service.create_topup(USER, CHAT, 1_000_000, "en")
    assert topup.invoice.bolt11.startswith("lnbcrt10m")  # shown whole, ready to pay
    assert (await rig.buy(500))[1] is False  # another amount: another invoice


async def test_an_invoice_about_to_expire_is_not_shown_again(make: Any) -> None:
    rig: Rig = await make(expiry_s=100)  # less than the two minutes a payer is left
    first, _ = await rig.buy(500)
    second, reused = await rig.buy(500)
    assert (second != first, reused) == (True, False)


async def test_open_invoices_are_capped_per_user(make: Any) -> None:
    rig: Rig = await make(topup_open_invoices_max=3)
    for sats in (100, 200, 300):
        assert (await rig.buy(sats))[1] is False
    with pytest.raises(RateLimited) as refused:
        await rig.buy(400)
    assert refused.value.scope == "topup_open"
    assert 800 < refused.value.retry_after_s <= 900  # when the first of them expires
    assert await rig.issued() == 3
    assert (await rig.buy(200))[1] is True  # an open one may still be shown again
    assert (await rig.buy(400, user_id=OTHER))[1] is False  # another user's are their own


async def test_paid_or_expired_invoices_no_longer_count_as_open(make: Any) -> None:
    rig: Rig = await make(topup_open_invoices_max=1)
    paid, _ = await rig.buy(100)
    fake = rig.service.backend
    assert isinstance(fake, FakePaymentBackend)
    webhook = fake.mark_paid(paid)
    await rig.service.handle_webhook(webhook.headers, webhook.body)
    assert (await rig.buy(200))[1] is False


async def test_invoices_sent_are_limited_per_hour_reused_ones_too(make: Any) -> None:
    rig: Rig = await make(topup_invoices_per_hour=3, topup_open_invoices_max=10)
    await rig.buy(100)
    await rig.buy(100)  # shown again: a photo in the chat all the same
    await rig.buy(200)
    with pytest.raises(RateLimited) as refused:
        await rig.buy(300)
    assert refused.value.scope == "topup"
    assert 3500 < refused.value.retry_after_s <= 3600
    with pytest.raises(RateLimited):
        await rig.buy(100)
    assert await rig.issued() == 2
    assert (await rig.buy(100, user_id=OTHER))[1] is False


async def test_pool_invoices_are_reused_per_group_and_counted_with_top_ups(make: Any) -> None:
    rig: Rig = await make(topup_invoices_per_hour=10, topup_open_invoices_max=3)
    group, other_group = -100_1, -100_2
    first = await rig.service.create_pool_invoice(USER, group, 500, "en")
    again = await rig.service.create_pool_invoice(USER, group, 500, "en")
    assert (again.invoice.id, again.reused) == (first.invoice.id, True)
    elsewhere = await rig.service.create_pool_invoice(USER, other_group, 500, "en")
    assert not elsewhere.reused  # another group's pool: its own invoice
    assert (await rig.buy(500))[1] is False  # a top-up of the same amount is not a pool's
    assert await rig.issued() == 3
    with pytest.raises(RateLimited):
        await rig.service.create_pool_invoice(USER, group, 700, "en")
    with pytest.raises(RateLimited):
        await rig.buy(700)
