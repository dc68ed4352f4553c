"""The payment ledger on Redis: every movement one Lua script, keyed by its idempotency
key, so any number of processes share one balance per user and none can overdraw it.

It borrows the state store's connection (the store closes it)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict

from redis.asyncio import Redis

from state.base import Ledger
from state.errors import InsufficientCredits
from state.ledger_scripts import CREDIT, HELD, RESERVE, SETTLE, TRANSFER
from state.models import (
    Balance,
    Capture,
    HeldReservation,
    Movement,
    PendingInvoice,
    Reservation,
)
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys

FREE_USE_RETENTION_S = 3 * 24 * 3600  # a day's free-use counter outlives its day
INVOICE_RETENTION_S = 30 * 24 * 3600


class RedisLedger(Ledger):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self._client = client
        self._keys = keys
        self._credit = client.register_script(CREDIT)
        self._reserve = client.register_script(RESERVE)
        self._settle = client.register_script(SETTLE)
        self._held = client.register_script(HELD)
        self._transfer = client.register_script(TRANSFER)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def credit(self, user_id: int, key: str, sats: int) -> bool:
        if sats < 0:
            raise ValueError("sats must not be negative")
        keys = [
            self._keys.ledger_entry(f"credit:{key}"),
            self._keys.ledger_account(user_id),
            self._keys.ledger_movements(user_id),
        ]
        args: list[int | str] = [user_id, sats, key, self.MOVEMENTS_KEPT]
        with translated_errors("ledger_credit"):
            return bool(await self._credit(keys=keys, args=args))

    async def transfer(self, from_user: int, to_user: int, key: str, sats: int) -> None:
        if sats <= 0 or from_user == to_user:
            raise ValueError("a transfer moves a positive amount between two accounts")
        keys = [
            self._keys.ledger_entry(f"transfer:{key}"),
            self._keys.ledger_account(from_user),
            self._keys.ledger_account(to_user),
            self._keys.ledger_movements(from_user),
            self._keys.ledger_movements(to_user),
        ]
        args: list[int | str] = [from_user, to_user, sats, key, self.MOVEMENTS_KEPT]
        with translated_errors("ledger_transfer"):
            result = await self._transfer(keys=keys, args=args)
        if int(result[0]) == 0:
            raise InsufficientCredits(from_user, int(result[1]))

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
        keys = [
            self._keys.ledger_entry(f"job:{job_id}"),
            self._keys.ledger_account(user_id),
            self._keys.ledger_free(user_id, day),
            self._keys.ledger_held,
            self._keys.ledger_parked,
        ]
        args: list[int | str] = [
            user_id,
            units,
            price_sats,
            free_per_day,
            FREE_USE_RETENTION_S,
            job_id,
            "1" if park else "0",
        ]
        with translated_errors("ledger_reserve"):
            result = await self._reserve(keys=keys, args=args)
        if int(result[0]) == 0:
            raise InsufficientCredits(user_id, int(result[1]), int(result[2]), int(result[3]))
        return Reservation(job_id, user_id, int(result[1]), int(result[2]))

    async def _apply(self, job_id: str, action: str, images: int | None = None) -> Capture | None:
        entry_key = self._keys.ledger_entry(f"job:{job_id}")
        with translated_errors(f"ledger_{action}"):
            # The entry's user and day never change once written: reading them first is safe.
            user, free_key = await self._client.hmget(entry_key, ["user", "free_key"])
            if user is None:
                return None
            keys = [
                entry_key,
                self._keys.ledger_account(int(user)),
                str(free_key),
                self._keys.ledger_held,
                self._keys.ledger_movements(int(user)),
                self._keys.ledger_parked,
            ]
            args = [action, job_id, "" if images is None else images, self.MOVEMENTS_KEPT]
            applied, sats, charged = await self._settle(keys=keys, args=args)
        return Capture(int(sats), int(charged)) if int(applied) else None

    async def capture(self, job_id: str, images: int | None = None) -> Capture | None:
        return await self._apply(job_id, "capture", images)

    async def release(self, job_id: str) -> bool:
        return await self._apply(job_id, "release") is not None

    async def held_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]:
        with translated_errors("ledger_held_reservations"):
            return await self._older(self._keys.ledger_held, older_than_s, limit)

    async def parked_reservations(
        self, older_than_s: float, limit: int = 100
    ) -> list[HeldReservation]:
        with translated_errors("ledger_parked_reservations"):
            return await self._older(self._keys.ledger_parked, older_than_s, limit)

    async def _older(
        self, since_key: str, older_than_s: float, limit: int
    ) -> list[HeldReservation]:
        """The reservations of the sorted set ``since_key`` at least that old, oldest first."""
        now, found = await self._held(keys=[since_key], args=[older_than_s, limit])
        job_ids = [str(job_id) for job_id in found[0::2]]
        async with self._client.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hmget(self._keys.ledger_entry(f"job:{job_id}"), ["user", "sats", "held"])
            entries = await pipe.execute()
        held = []
        for job_id, at, (user, sats, taken) in zip(job_ids, found[1::2], entries, strict=True):
            if user is not None:  # held is missing from entries reserved before it was kept
                sats_held = int(taken) if taken is not None else int(sats)
                held.append(HeldReservation(job_id, int(user), sats_held, float(now) - float(at)))
        return held

    async def balance(self, user_id: int) -> Balance:
        with translated_errors("ledger_balance"):
            available, reserved, free_held = await self._client.hmget(
                self._keys.ledger_account(user_id), ["available", "reserved", "free_held"]
            )
        return Balance(int(available or 0), int(reserved or 0), int(free_held or 0))

    async def free_used(self, user_id: int, day: dt.date) -> int:
        with translated_errors("ledger_free_used"):
            used = await self._client.get(self._keys.ledger_free(user_id, day))
        return int(used or 0)

    async def add_pending(self, invoice: PendingInvoice) -> None:
        with translated_errors("ledger_add_pending"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(
                    self._keys.ledger_invoice(invoice.invoice_id),
                    json.dumps(asdict(invoice)),
                    ex=INVOICE_RETENTION_S,
                )
                pipe.sadd(self._keys.ledger_pending, invoice.invoice_id)
                # Each user's pending ids too; the shared set above stays the authority.
                pipe.sadd(self._keys.ledger_pending_of(invoice.user_id), invoice.invoice_id)
                pipe.expire(self._keys.ledger_pending_of(invoice.user_id), INVOICE_RETENTION_S)
                await pipe.execute()

    async def _load(self, invoice_id: str) -> PendingInvoice | None:
        raw = await self._client.get(self._keys.ledger_invoice(invoice_id))
        return PendingInvoice(**json.loads(raw)) if raw is not None else None

    async def pending_invoices(self) -> list[PendingInvoice]:
        with translated_errors("ledger_pending_invoices"):
            ids = await self._client.smembers(self._keys.ledger_pending)
            found = [await self._load(str(invoice_id)) for invoice_id in ids]
        return [invoice for invoice in found if invoice is not None]

    async def pending_of(self, user_id: int) -> list[PendingInvoice]:
        users_key = self._keys.ledger_pending_of(user_id)
        with translated_errors("ledger_pending_of"):
            ids = sorted(str(invoice_id) for invoice_id in await self._client.smembers(users_key))
            if not ids:
                return []
            async with self._client.pipeline(transaction=False) as pipe:
                for invoice_id in ids:
                    pipe.sismember(self._keys.ledger_pending, invoice_id)
                still = await pipe.execute()
            resolved = [invoice_id for invoice_id, kept in zip(ids, still, strict=True) if not kept]
            if resolved:  # left behind by a resolver that stopped half-way
                await self._client.srem(users_key, *resolved)
            found = [await self._load(i) for i, kept in zip(ids, still, strict=True) if kept]
        return [invoice for invoice in found if invoice is not None]

    async def resolve_pending(self, invoice_id: str) -> PendingInvoice | None:
        with translated_errors("ledger_resolve_pending"):
            # SREM answers 1 to exactly one caller, however many race.
            if not await self._client.srem(self._keys.ledger_pending, invoice_id):
                return None
            record = await self._load(invoice_id)
            if record is not None:
                await self._client.srem(self._keys.ledger_pending_of(record.user_id), invoice_id)
            return record

    async def find_invoice(self, invoice_id: str) -> PendingInvoice | None:
        with translated_errors("ledger_find_invoice"):
            return await self._load(invoice_id)

    async def movements(self, user_id: int, limit: int = 50) -> list[Movement]:
        if limit <= 0:
            return []
        with translated_errors("ledger_movements"):
            raw = await self._client.lrange(self._keys.ledger_movements(user_id), 0, limit - 1)
        found = []
        for line in raw:
            item = json.loads(line)
            found.append(
                Movement(
                    str(item["kind"]),
                    int(item["sats"]),
                    str(item["key"]),
                    float(item["at"]),
                    int(item.get("images") or 0),
                )
            )
        return found
