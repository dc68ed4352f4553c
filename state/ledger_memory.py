"""The payment ledger in memory (one process). No operation awaits in the middle, so each
is atomic on the event loop, as ``state.base.Ledger`` asks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from state.base import Ledger
from state.errors import InsufficientCredits
from state.models import Balance, PendingInvoice, Reservation


@dataclass
class _Account:
    available: int = 0
    reserved: int = 0


@dataclass
class _Held:
    reservation: Reservation
    day: dt.date
    settled: bool = False  # captured or released


class MemoryLedger(Ledger):
    def __init__(self) -> None:
        self._accounts: dict[int, _Account] = {}
        self._credited: set[str] = set()
        self._held: dict[str, _Held] = {}
        self._free_used: dict[tuple[int, dt.date], int] = {}
        self._pending: dict[str, PendingInvoice] = {}
        self._invoices: dict[str, PendingInvoice] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _account(self, user_id: int) -> _Account:
        return self._accounts.setdefault(user_id, _Account())

    async def credit(self, user_id: int, key: str, sats: int) -> bool:
        if sats < 0:
            raise ValueError("sats must not be negative")
        if key in self._credited:
            return False
        self._credited.add(key)
        self._account(user_id).available += sats
        return True

    async def reserve(
        self,
        user_id: int,
        job_id: str,
        units: int,
        price_sats: int,
        free_per_day: int,
        day: dt.date,
    ) -> Reservation:
        held = self._held.get(job_id)
        if held is not None:
            return held.reservation
        used = self._free_used.get((user_id, day), 0)
        free = min(units, max(free_per_day - used, 0))
        sats = (units - free) * price_sats
        account = self._account(user_id)
        if account.available < sats:
            raise InsufficientCredits(user_id, sats - account.available)
        account.available -= sats
        account.reserved += sats
        self._free_used[(user_id, day)] = used + free
        reservation = Reservation(job_id, user_id, sats, free)
        self._held[job_id] = _Held(reservation, day)
        return reservation

    async def capture(self, job_id: str) -> bool:
        held = self._held.get(job_id)
        if held is None or held.settled:
            return False
        held.settled = True
        self._account(held.reservation.user_id).reserved -= held.reservation.sats
        return True

    async def release(self, job_id: str) -> bool:
        held = self._held.get(job_id)
        if held is None or held.settled:
            return False
        held.settled = True
        reservation = held.reservation
        account = self._account(reservation.user_id)
        account.reserved -= reservation.sats
        account.available += reservation.sats
        day_key = (reservation.user_id, held.day)
        self._free_used[day_key] = max(self._free_used.get(day_key, 0) - reservation.free_units, 0)
        return True

    async def balance(self, user_id: int) -> Balance:
        account = self._accounts.get(user_id, _Account())
        return Balance(account.available, account.reserved)

    async def add_pending(self, invoice: PendingInvoice) -> None:
        self._pending[invoice.invoice_id] = invoice
        self._invoices[invoice.invoice_id] = invoice

    async def pending_invoices(self) -> list[PendingInvoice]:
        return list(self._pending.values())

    async def resolve_pending(self, invoice_id: str) -> PendingInvoice | None:
        return self._pending.pop(invoice_id, None)

    async def find_invoice(self, invoice_id: str) -> PendingInvoice | None:
        return self._invoices.get(invoice_id)
