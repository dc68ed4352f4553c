"""The payment ledger in memory (one process). No operation awaits in the middle, so each
is atomic on the event loop, as ``state.base.Ledger`` asks."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from dataclasses import dataclass

from state.base import Ledger
from state.errors import InsufficientCredits
from state.models import (
    Balance,
    Capture,
    HeldReservation,
    Movement,
    PendingInvoice,
    Reservation,
)


@dataclass
class _Account:
    available: int = 0
    reserved: int = 0
    free_held: int = 0


@dataclass
class _Held:
    reservation: Reservation
    day: dt.date
    units: int
    price_sats: int
    held_sats: int  # taken from the balance so far (less than the price while parked)
    settled: bool = False  # captured or released

    @property
    def parked(self) -> bool:
        return self.held_sats < self.reservation.sats


class MemoryLedger(Ledger):
    def __init__(self) -> None:
        self._accounts: dict[int, _Account] = {}
        self._credited: set[str] = set()
        self._transferred: set[str] = set()
        self._held: dict[str, _Held] = {}
        self._open: dict[str, float] = {}  # job id -> when reserved (monotonic), until settled
        self._parked: dict[str, float] = {}  # job id -> when parked, until complete or settled
        self._free_used: dict[tuple[int, dt.date], int] = {}
        self._pending: dict[str, PendingInvoice] = {}
        self._invoices: dict[str, PendingInvoice] = {}
        self._movements: dict[int, deque[Movement]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _account(self, user_id: int) -> _Account:
        return self._accounts.setdefault(user_id, _Account())

    def _moved(self, user_id: int, movement: Movement) -> None:
        kept = self._movements.setdefault(user_id, deque(maxlen=self.MOVEMENTS_KEPT))
        kept.appendleft(movement)

    async def credit(self, user_id: int, key: str, sats: int) -> bool:
        if sats < 0:
            raise ValueError("sats must not be negative")
        if key in self._credited:
            return False
        self._credited.add(key)
        self._account(user_id).available += sats
        self._moved(user_id, Movement("credit", sats, key, time.time()))
        return True

    async def transfer(self, from_user: int, to_user: int, key: str, sats: int) -> None:
        if sats <= 0 or from_user == to_user:
            raise ValueError("a transfer moves a positive amount between two accounts")
        if key in self._transferred:
            return
        payer = self._account(from_user)
        if payer.available < sats:
            raise InsufficientCredits(from_user, sats - payer.available)
        self._transferred.add(key)
        payer.available -= sats
        self._account(to_user).available += sats
        now = time.time()
        self._moved(from_user, Movement("transfer_out", sats, key, now))
        self._moved(to_user, Movement("transfer_in", sats, key, now))

    async def reserve(
        self,
        user_id: int,
        job_id: str,
        units: int,
        price_sats: int,
        free_per_day: int,
        day: dt.date,
        *,
        park: bool = False,
    ) -> Reservation:
        held = self._held.get(job_id)
        if held is not None:
            if held.parked and not held.settled:
                self._complete(held)
            return held.reservation
        used = self._free_used.get((user_id, day), 0)
        free = min(units, max(free_per_day - used, 0))
        sats = (units - free) * price_sats
        account = self._account(user_id)
        if account.available < sats and not park:
            raise InsufficientCredits(user_id, sats - account.available)
        taken = min(sats, account.available)
        account.available -= taken
        account.reserved += taken
        account.free_held += free
        self._free_used[(user_id, day)] = used + free
        reservation = Reservation(job_id, user_id, sats, free)
        self._held[job_id] = held = _Held(reservation, day, units, price_sats, taken)
        if held.parked:
            self._parked[job_id] = time.monotonic()
            raise InsufficientCredits(user_id, sats - taken, free, taken)
        self._open[job_id] = time.monotonic()
        return reservation

    def _complete(self, held: _Held) -> None:
        """A parked reservation takes the rest of its price, or stays parked."""
        account = self._account(held.reservation.user_id)
        rest = held.reservation.sats - held.held_sats
        if account.available < rest:
            raise InsufficientCredits(
                held.reservation.user_id,
                rest - account.available,
                held.reservation.free_units,
                held.held_sats,
            )
        account.available -= rest
        account.reserved += rest
        held.held_sats = held.reservation.sats
        self._parked.pop(held.reservation.job_id, None)
        self._open[held.reservation.job_id] = time.monotonic()

    async def capture(self, job_id: str, images: int | None = None) -> Capture | None:
        parked = self._held.get(job_id)
        if parked is not None and parked.parked:  # awaiting payment: nothing to capture
            return None
        held = self._settle(job_id)
        if held is None:
            return None
        reservation = held.reservation
        taken = held.units if images is None else min(max(images, 0), held.units)
        free_taken = min(taken, reservation.free_units)
        sats = reservation.sats if images is None else (taken - free_taken) * held.price_sats
        self._give_back(held, reservation.sats - sats, reservation.free_units - free_taken)
        if sats > 0:
            self._moved(reservation.user_id, Movement("capture", sats, job_id, time.time(), taken))
        return Capture(sats, taken)

    async def release(self, job_id: str) -> bool:
        held = self._settle(job_id)
        if held is None:
            return False
        self._give_back(held, held.held_sats, held.reservation.free_units)
        return True

    def _settle(self, job_id: str) -> _Held | None:
        """The reservation, now settled; None when unknown or settled before."""
        held = self._held.get(job_id)
        if held is None or held.settled:
            return None
        held.settled = True
        self._open.pop(job_id, None)
        self._parked.pop(job_id, None)
        account = self._account(held.reservation.user_id)
        account.reserved -= held.held_sats
        account.free_held -= held.reservation.free_units
        return held

    def _give_back(self, held: _Held, sats: int, free_units: int) -> None:
        user_id = held.reservation.user_id
        self._account(user_id).available += sats
        day_key = (user_id, held.day)
        self._free_used[day_key] = max(self._free_used.get(day_key, 0) - free_units, 0)

    async def held_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]:
        return self._older(self._open, older_than_s, limit)

    async def parked_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]:
        return self._older(self._parked, older_than_s, limit)

    def _older(
        self, since: dict[str, float], older_than_s: float, limit: int
    ) -> list[HeldReservation]:
        """The entries of ``since`` (job id -> when, in that order) at least that old."""
        now = time.monotonic()
        found: list[HeldReservation] = []
        for job_id, at in since.items():
            if len(found) >= limit or now - at < older_than_s:
                break
            held = self._held[job_id]
            user_id = held.reservation.user_id
            found.append(HeldReservation(job_id, user_id, held.held_sats, now - at))
        return found

    async def balance(self, user_id: int) -> Balance:
        account = self._accounts.get(user_id, _Account())
        return Balance(account.available, account.reserved, account.free_held)

    async def free_used(self, user_id: int, day: dt.date) -> int:
        return self._free_used.get((user_id, day), 0)

    async def add_pending(self, invoice: PendingInvoice) -> None:
        self._pending[invoice.invoice_id] = invoice
        self._invoices[invoice.invoice_id] = invoice

    async def pending_invoices(self) -> list[PendingInvoice]:
        return list(self._pending.values())

    async def pending_of(self, user_id: int) -> list[PendingInvoice]:
        return [invoice for invoice in self._pending.values() if invoice.user_id == user_id]

    async def resolve_pending(self, invoice_id: str) -> PendingInvoice | None:
        return self._pending.pop(invoice_id, None)

    async def find_invoice(self, invoice_id: str) -> PendingInvoice | None:
        return self._invoices.get(invoice_id)

    async def movements(self, user_id: int, limit: int = 50) -> list[Movement]:
        return list(self._movements.get(user_id, ()))[: max(limit, 0)]
