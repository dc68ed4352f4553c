"""The payment service (``orchestrator.payments.service.PaymentService``) at its interface:
the in-process fake payment backend, the memory state backend (ledger, store, stats), a
``submit`` that records the jobs it is given, and a notifier that records its notices.

Covered: charging (free allowance first, then credits, else an invoice for what is
missing and the job parked), a parked job's invoice paid (the job queued exactly once,
however often the payment is applied), expired and short payments, top-ups credited once,
webhooks that do not verify, and the worker's ends of a reservation: capture (revenue
counted once) and release (the sats given back once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from orchestrator.payments.errors import PaymentRequired, PaymentsUnavailable
from orchestrator.payments.notices import NoticeKind, PaymentNotice
from orchestrator.payments.service import PaymentService
from providers.payments.errors import InvalidWebhook
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend, open_backend
from state.models import Job, JobKind, JobStatus
from tests.conftest import make_settings

USER, CHAT = 7, 7
STATUS_MESSAGE_ID = 555  # what the fake notifier says it sent


@dataclass
class Rig:
    service: PaymentService
    fake: FakePaymentBackend
    state: StateBackend
    submitted: list[Job] = field(default_factory=list)
    notices: list[PaymentNotice] = field(default_factory=list)

    async def balance(self) -> tuple[int, int]:
        balance = await self.service.balance(USER)
        return balance.available_sats, balance.reserved_sats

    async def pay(self, invoice_id: str, amount_sats: int | None = None) -> None:
        """Pay it, and deliver the service's webhook as the HTTP route would."""
        webhook = self.fake.mark_paid(invoice_id, amount_sats)
        await self.service.handle_webhook(webhook.headers, webhook.body)

    async def parked(self, **fields: Any) -> tuple[Job, PaymentRequired]:
        job = new_job(**fields)
        with pytest.raises(PaymentRequired) as caught:
            await self.service.charge(job)
        return job, caught.value


class RecordingNotifier:
    def __init__(self, notices: list[PaymentNotice]) -> None:
        self.notices = notices

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        self.notices.append(notice)
        return STATUS_MESSAGE_ID


def new_job(**fields: Any) -> Job:
    values = {"kind": JobKind.GENERATE, "prompt": "a fox", "request_message_id": 11, **fields}
    return Job(chat_id=CHAT, user_id=USER, language="en", **values)


async def build(**overrides: Any) -> Rig:
    settings = make_settings(
        "http://127.0.0.1:9",
        **{"payments_backend": "fake", "price_generate_sats": 100, **overrides},
    )
    state = open_backend(None)
    await state.start()
    fake = FakePaymentBackend(expiry_s=900.0)
    submitted: list[Job] = []
    notices: list[PaymentNotice] = []

    async def submit(job: Job) -> None:
        submitted.append(job)

    service = PaymentService(settings, fake, state, submit, RecordingNotifier(notices))
    return Rig(service, fake, state, submitted, notices)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    built = await build()
    yield built
    await built.state.stop()


async def test_no_balance_parks_the_job_behind_an_invoice_for_what_is_missing(
    rig: Rig,
) -> None:
    job, required = await rig.parked(num_images=2)
    assert (required.price_sats, required.missing_sats, required.balance_sats) == (200, 200, 0)
    assert required.invoice.amount_sats == 200
    assert required.invoice.bolt11.startswith("lnbcrt")
    stored = await rig.state.store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.reserved_sats) == (JobStatus.QUEUED, None)
    [pending] = await rig.state.ledger.pending_invoices()
    assert (pending.invoice_id, pending.job_id, pending.purpose) == (
        required.invoice.id,
        job.id,
        "job",
    )
    assert rig.submitted == []
    assert await rig.balance() == (0, 0)


async def test_a_short_balance_is_invoiced_only_the_difference(rig: Rig) -> None:
    assert await rig.state.ledger.credit(USER, "gift", 30)
    _, required = await rig.parked()
    assert (required.missing_sats, required.held_sats, required.balance_sats) == (70, 30, 0)
    assert required.invoice.amount_sats == 70
    assert await rig.balance() == (0, 30)  # the credit is kept for it while it waits
    await rig.pay(required.invoice.id)
    assert await rig.balance() == (0, 100)  # 30 kept + 70 paid: reserved for the job


async def test_paying_the_invoice_queues_the_parked_job_exactly_once(rig: Rig) -> None:
    job, required = await rig.parked()
    await rig.pay(required.invoice.id)
    [submitted] = rig.submitted
    assert (submitted.id, submitted.reserved_sats) == (job.id, 100)
    assert submitted.status_message_id == STATUS_MESSAGE_ID
    [notice] = rig.notices
    assert (notice.kind, notice.amount_sats, notice.reply_to_message_id) == (
        NoticeKind.JOB_PAID,
        100,
        11,
    )
    assert await rig.balance() == (0, 100)
    # The same payment again: a re-sent webhook, reconciliation, a direct apply.
    again = rig.fake.redeliver(rig.fake.mark_paid(required.invoice.id))
    await rig.service.handle_webhook(again.headers, again.body)
    await rig.service.reconcile_once()
    await rig.service.apply(required.invoice.id)
    assert len(rig.submitted) == 1
    assert len(rig.notices) == 1
    assert await rig.balance() == (0, 100)
    assert await rig.state.ledger.pending_invoices() == []


async def test_an_expired_invoice_fails_the_parked_job_and_says_so(rig: Rig) -> None:
    job, required = await rig.parked()
    expired = rig.fake.mark_expired(required.invoice.id)
    await rig.service.handle_webhook(expired.headers, expired.body)
    stored = await rig.state.store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.error) == (JobStatus.FAILED, "Unpaid")
    assert [n.kind for n in rig.notices] == [NoticeKind.EXPIRED]
    assert rig.submitted == []


async def test_a_short_payment_is_credited_but_does_not_run_the_job(rig: Rig) -> None:
    job, required = await rig.parked()
    await rig.pay(required.invoice.id, amount_sats=40)
    assert rig.submitted == []
    assert [(n.kind, n.amount_sats) for n in rig.notices] == [(NoticeKind.STILL_SHORT, 40)]
    assert await rig.balance() == (40, 0)
    stored = await rig.state.store.get_job(job.id)
    assert stored is not None
    assert stored.status is JobStatus.FAILED


async def test_a_topup_is_credited_once(rig: Rig) -> None:
    invoice = (await rig.service.create_topup(USER, CHAT, 500, "en")).invoice
    assert invoice.amount_sats == 500
    await rig.pay(invoice.id)
    await rig.pay(invoice.id)
    await rig.service.apply(invoice.id)
    assert await rig.balance() == (500, 0)
    assert [(n.kind, n.amount_sats, n.balance_sats) for n in rig.notices] == [
        (NoticeKind.TOPUP_CREDITED, 500, 500)
    ]


async def test_a_webhook_that_does_not_verify_changes_nothing(rig: Rig) -> None:
    invoice = (await rig.service.create_topup(USER, CHAT, 500, None)).invoice
    webhook = rig.fake.mark_paid(invoice.id)
    with pytest.raises(InvalidWebhook):
        await rig.service.handle_webhook({"Fulmine-Fake-Sig": "0" * 64}, webhook.body)
    assert await rig.balance() == (0, 0)
    assert rig.notices == []


async def test_an_unreachable_backend_refuses_and_parks_nothing(rig: Rig) -> None:
    rig.fake.simulate_outage()
    job = new_job()
    with pytest.raises(PaymentsUnavailable):
        await rig.service.charge(job)
    assert await rig.state.store.get_job(job.id) is None
    assert await rig.state.ledger.pending_invoices() == []


async def test_capture_counts_revenue_once(rig: Rig) -> None:
    assert await rig.state.ledger.credit(USER, "gift", 250)
    job = new_job()
    await rig.service.charge(job)
    assert job.reserved_sats == 100
    assert await rig.balance() == (150, 100)
    await rig.service.capture(job)
    await rig.service.capture(job)
    assert await rig.balance() == (150, 0)
    assert await rig.state.stats.counter("revenue_sats") == 100
    await rig.service.release(job)  # too late: the sats were spent
    assert await rig.balance() == (150, 0)


async def test_release_gives_the_reserved_sats_back_once(rig: Rig) -> None:
    assert await rig.state.ledger.credit(USER, "gift", 250)
    job = new_job()
    await rig.service.charge(job)
    await rig.service.release(job)
    await rig.service.release(job)
    assert await rig.balance() == (250, 0)
    await rig.service.capture(job)  # too late: nothing is charged
    assert await rig.state.stats.counter("revenue_sats") == 0


async def test_the_free_allowance_is_used_before_credits() -> None:
    rig = await build(free_generations_per_day=1)
    try:
        assert await rig.state.ledger.credit(USER, "gift", 100)
        free, paid = new_job(), new_job()
        await rig.service.charge(free)
        assert free.reserved_sats == 0
        assert await rig.balance() == (100, 0)
        await rig.service.charge(paid)
        assert paid.reserved_sats == 100
        assert await rig.balance() == (0, 100)
        await rig.service.release(free)  # a failed free job gives its allowance back
        again = new_job()
        await rig.service.charge(again)
        assert again.reserved_sats == 0
        await rig.service.capture(again)  # delivered for free: no revenue
        assert await rig.state.stats.counter("revenue_sats") == 0
    finally:
        await rig.state.stop()
