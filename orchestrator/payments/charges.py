"""Admission's payment step: a job's price reserved from the free allowance and credits,
or the job parked behind an invoice for what they do not cover (its free images and
credit held for it meanwhile); admins' own images free unless ``ADMINS_PAY``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from orchestrator.payments.errors import CreditShort, PaymentRequired
from orchestrator.payments.invoices import JOB, record_of
from orchestrator.payments.pools import GroupPools
from orchestrator.settings import Settings
from providers.payments.base import Invoice
from state.base import Ledger, StateStore
from state.errors import InsufficientCredits
from state.models import Job, JobKind, Reservation


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class Charges:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        store: StateStore,
        pools: GroupPools,
        issue: Callable[[int, str, str], Awaitable[Invoice]],
        count: Callable[[str], None],
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._store = store
        self._pools = pools
        self._issue = issue  # (sats, memo, reference) -> a new invoice
        self._count = count

    def price_per_image(self, kind: JobKind) -> int:
        """The kind's price setting: what a job without a catalog price costs."""
        settings = self._settings
        return settings.price_edit_sats if kind is JobKind.EDIT else settings.price_generate_sats

    def price_of(self, job: Job) -> int:
        """One image of ``job``: its model's price fixed at admission (the catalog's)."""
        if job.price_sats_each is not None:
            return job.price_sats_each
        return self.price_per_image(job.kind)

    async def free_left(self, user_id: int) -> int:
        """Free images the user has left today (UTC), those held for requests not counted."""
        per_day = self._settings.free_generations_per_day
        if not per_day:
            return 0
        return max(per_day - await self._ledger.free_used(user_id, today()), 0)

    def pays(self, job: Job) -> bool:
        """False for an admin's own request through the chat (unless ``ADMINS_PAY``)."""
        settings = self._settings
        admin = job.frontend == "telegram" and job.user_id in settings.admin_user_ids
        return settings.admins_pay or not admin

    async def charge(self, job: Job) -> None:
        """Reserve the job's price (free allowance first); raises ``PaymentRequired`` with an
        invoice for what is missing (the job is parked, its free images and credits held),
        ``CreditShort`` for an inline request (no chat shows an invoice: nothing held) or
        ``PaymentsUnavailable``."""
        if not self.pays(job):
            return
        each = self.price_of(job)
        pooled = await self._pools.draw(job, each)  # a group's members: its pool first
        if pooled is not None:
            job.reserved_sats = pooled.sats
            self._count("reserved")
            return
        inline = job.inline_message_id is not None
        try:
            reservation = await self.reserve(job, park=not inline)
        except InsufficientCredits as short:
            if inline:  # never parked behind an invoice no chat shows
                balance = await self._ledger.balance(job.user_id)
                raise CreditShort(
                    each * job.num_images, short.missing_sats, balance.available_sats
                ) from short
            try:
                invoice = await self._park(job, short.missing_sats)
            except BaseException:
                await self._ledger.release(job.id)  # not parked after all: nothing held
                raise
            balance = await self._ledger.balance(job.user_id)
            raise PaymentRequired(
                invoice,
                each * job.num_images,
                short.missing_sats,
                balance.available_sats,
                free_units=short.free_units,
                held_sats=short.held_sats,
                images=job.num_images,
            ) from short
        job.reserved_sats = reservation.sats
        self._count("reserved")

    async def _park(self, job: Job, missing_sats: int) -> Invoice:
        invoice = await self._issue(missing_sats, f"Fulmine: {job.kind.value}", job.id)
        job.invoice_id = invoice.id
        await self._store.save_job(job)  # parked: queued when the invoice is paid
        await self._ledger.add_pending(
            record_of(
                invoice,
                job.user_id,
                job.chat_id,
                JOB,
                job_id=job.id,
                language=job.language,
                frontend=job.frontend,
            )
        )
        return invoice

    async def reserve(self, job: Job, *, park: bool = False) -> Reservation:
        """The job's price from today's free allowance and the balance (see ``Ledger``)."""
        return await self._ledger.reserve(
            job.user_id,
            job.id,
            job.num_images,
            self.price_of(job),
            self._settings.free_generations_per_day if job.free_allowance else 0,
            today(),
            park=park,
        )
