"""Invoices as the ledger records them, and top-up invoices (``/buy``, and ``/fund`` of a
group's pool) bounded per user, both kinds together.

Every invoice on the operator's node costs something (a record polled by every process's
reconciliation, a QR photo in the chat), so a user cannot make them without limit:

- at most ``TOPUP_INVOICES_PER_HOUR`` top-up answers per user in any hour (a sliding window
  of the state store, shared by every process; an invoice shown again counts too: it is a
  QR photo all the same); refused with ``RateLimited`` (scope ``topup``);
- an open top-up invoice of the same amount with at least ``REUSE_MIN_LEFT_S`` left is
  shown again instead of a new one being issued;
- at most ``TOPUP_OPEN_INVOICES_MAX`` unpaid, unexpired top-up invoices per user; refused
  with ``RateLimited`` (scope ``topup_open``, retry when the first of them expires), which
  takes no window slot. Concurrent requests of one user in several chats can pass this
  check together; the hourly window still bounds them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from orchestrator.payments.errors import PaymentsUnavailable
from orchestrator.settings import Settings
from providers.payments.base import Invoice, PaymentBackend
from providers.payments.errors import PaymentError
from state.base import Ledger, StateStore
from state.errors import RateLimited
from state.models import InFlightCap, Limit, PendingInvoice

log = structlog.get_logger(__name__)

TOPUP = "topup"
JOB = "job"
POOL = "pool"  # a member's top-up of a group's pool (``orchestrator.payments.pools``)
CREDITS = frozenset({TOPUP, POOL})  # invoices that buy credit, bounded per user alike
MEMOS = {TOPUP: "Fulmine: top-up", POOL: "Fulmine: group pool"}
TOPUP_SCOPE = "topup"
OPEN_TOPUPS_SCOPE = "topup_open"
HOUR_S = 3600.0
REUSE_MIN_LEFT_S = 120.0  # an invoice shown again leaves the payer this long at least
_NO_SLOT = InFlightCap(max_jobs=None, lease_s=0.001)  # a /buy holds no job slot


class InvoiceIssuer:
    """Asks the backend for an invoice; its failure is ``PaymentsUnavailable`` (counted)."""

    def __init__(self, backend: PaymentBackend, count: Callable[[str], None]) -> None:
        self._backend = backend
        self._count = count

    async def __call__(self, sats: int, memo: str, reference: str) -> Invoice:
        try:
            invoice = await self._backend.create_invoice(sats, memo, reference=reference)
        except PaymentError as exc:
            self._count("invoice_failed")
            log.error("invoice_not_created", error=repr(exc))
            raise PaymentsUnavailable(self._backend.name) from exc
        self._count("invoice_created")
        return invoice


def record_of(
    invoice: Invoice,
    user_id: int,
    chat_id: int,
    purpose: str,
    *,
    job_id: str | None = None,
    language: str | None = None,
    frontend: str = "telegram",
) -> PendingInvoice:
    """The ledger's record of an invoice just issued, with what it takes to show it again."""
    return PendingInvoice(
        invoice.id,
        user_id,
        chat_id,
        purpose,
        invoice.amount_sats,
        job_id=job_id,
        language=language,
        frontend=frontend,
        bolt11=invoice.bolt11,
        expires_at=invoice.expires_at.timestamp(),
    )


def invoice_of(record: PendingInvoice) -> Invoice:
    """A recorded invoice as the backend gave it (it must have its BOLT11 and expiry)."""
    assert record.bolt11 is not None
    assert record.expires_at is not None
    expires_at = datetime.fromtimestamp(record.expires_at, UTC)
    return Invoice(record.invoice_id, record.bolt11, record.amount_sats, expires_at)


@dataclass(frozen=True, slots=True)
class Topup:
    invoice: Invoice
    reused: bool  # an open invoice of the same amount, shown again


class Topups:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        ledger: Ledger,
        issue: Callable[[int, str, str], Awaitable[Invoice]],
    ) -> None:
        self._settings = settings
        self._store = store
        self._ledger = ledger
        self._issue = issue  # (sats, memo, reference) -> a new invoice

    async def create(
        self,
        user_id: int,
        chat_id: int,
        sats: int,
        language: str | None,
        frontend: str,
        purpose: str = TOPUP,
    ) -> Topup:
        """A top-up invoice for ``sats`` (``POOL``: of the group ``chat_id``'s pool): an open
        one of the same purpose (and group) shown again, or a new one. Raises
        ``RateLimited`` (see the module) or ``PaymentsUnavailable``."""
        now = time.time()
        records = await self._ledger.pending_of(user_id)
        # A record without an expiry (written before expiries were kept) counts as open.
        open_ = [
            r
            for r in records
            if r.purpose in CREDITS and (r.expires_at is None or r.expires_at > now)
        ]
        reusable = [
            r
            for r in open_
            if r.amount_sats == sats
            and r.purpose == purpose
            and (purpose == TOPUP or r.chat_id == chat_id)
            and r.bolt11
            and r.expires_at is not None
            and r.expires_at - now >= REUSE_MIN_LEFT_S
        ]
        if not reusable and len(open_) >= self._settings.topup_open_invoices_max:
            known = [r.expires_at for r in open_ if r.expires_at is not None]
            first = min(known, default=now + self._settings.invoice_expiry_s)
            raise RateLimited(OPEN_TOPUPS_SCOPE, max(0.0, first - now))
        await self._count_hourly(user_id)
        if reusable:
            latest = max(reusable, key=lambda r: r.expires_at or 0.0)
            return Topup(invoice_of(latest), reused=True)
        invoice = await self._issue(sats, MEMOS[purpose], f"{purpose}-{user_id}")
        await self._ledger.add_pending(
            record_of(invoice, user_id, chat_id, purpose, language=language, frontend=frontend)
        )
        return Topup(invoice, reused=False)

    async def _count_hourly(self, user_id: int) -> None:
        per_hour = self._settings.topup_invoices_per_hour
        if not per_hour:
            return
        ticket = f"topup:{uuid.uuid4().hex}"
        limit = Limit(TOPUP_SCOPE, f"topup:{user_id}", per_hour, HOUR_S)
        await self._store.admit(ticket, [limit], _NO_SLOT)
        await self._store.release(ticket)
