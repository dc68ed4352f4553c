"""Group pools: credits a group's members put in for everyone in it.

The pool is the group's own ledger account (its chat id): what an anonymous admin or a
channel post spends already, since such a message speaks for the chat (``bot.intake.identity``);
so they act as the chat, never as a shared service account. ``/fund`` moves credits from a
member's balance into it (``Ledger.transfer``, once per request), or, when the balance is
short, by an invoice of purpose ``POOL`` whose payment is credited to the pool itself, once
per invoice (``credit_invoice``); its payer then counts as a funder.

A member's request in the group is paid from the pool first, at most ``cap`` images per
member per UTC day (the funders or the chat itself set it; ``POOL_DAILY_CAP`` until then),
then from the member's own balance as before. A pool reservation is an ordinary one, kept
under the job id, so capture and release (and the sweep) settle it unchanged: a failed
request's credits go back to the pool. The cap is counted in slots taken atomically in the
state store (``first_sighting``), so concurrent requests never pass it; a slot is not given
back when its request fails.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import structlog

from state.base import Ledger, StateStore
from state.errors import InsufficientCredits
from state.models import Job, Reservation

log = structlog.get_logger(__name__)

CAP_KEY = "pool_cap"
FUNDERS_KEY = "pool_funders"
CAP_MAX = 100  # images per member per day
DAY_S = 86400.0
USAGE_TTL_S = 2 * DAY_S
FUNDERS_MAX = 50  # remembered per group
REQUEST_KEY = "pool-request:"
REQUEST_TTL_S = 14 * DAY_S  # an invoice paid late is still announced as a reply


@dataclass(frozen=True, slots=True)
class PoolStatus:
    available: int
    reserved: int
    cap: int
    used_today: dict[str, int]  # member's name: images drawn today


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class GroupPools:
    def __init__(self, ledger: Ledger, store: StateStore, default_cap: int) -> None:
        self._ledger = ledger
        self._store = store
        self._default_cap = default_cap

    async def fund(self, member: int, chat_id: int, sats: int, key: str) -> int:
        """Move ``sats`` from the member into the pool, once per ``key``; the pool's
        balance. Raises ``InsufficientCredits`` (nothing moved)."""
        await self._ledger.transfer(member, chat_id, f"fund:{key}", sats)
        await self._add_funder(chat_id, member)
        log.info("pool_funded", chat_id=chat_id, sats=sats)
        return (await self._ledger.balance(chat_id)).available_sats

    async def credit_invoice(self, member: int, chat_id: int, invoice_id: str, sats: int) -> bool:
        """A member's invoice for the pool was paid: ``sats`` go into it, once per invoice
        (the ledger's key is the invoice's, as for a top-up). True when applied now."""
        credited = await self._ledger.credit(chat_id, f"invoice:{invoice_id}", sats)
        await self._add_funder(chat_id, member)  # idempotent: also after a crash between
        if credited:
            log.info("pool_funded", chat_id=chat_id, sats=sats, invoice_id=invoice_id)
        return credited

    async def note_request(self, invoice_id: str, message_id: int) -> None:
        """The ``/fund`` message an invoice answers: what the group's notice replies to."""
        await self._store.remember(f"{REQUEST_KEY}{invoice_id}", str(message_id), REQUEST_TTL_S)

    async def request_of(self, invoice_id: str) -> int | None:
        raw = await self._store.recall(f"{REQUEST_KEY}{invoice_id}")
        return int(raw) if raw is not None and raw.isdigit() else None

    async def _add_funder(self, chat_id: int, member: int) -> None:
        funders = await self.funders(chat_id)
        if member not in funders and len(funders) < FUNDERS_MAX:
            joined = ",".join(str(f) for f in sorted({*funders, member}))
            await self._store.set_user_settings(chat_id, {FUNDERS_KEY: joined})

    async def funders(self, chat_id: int) -> set[int]:
        saved = (await self._store.get_user_settings(chat_id)).get(FUNDERS_KEY, "")
        return {int(part) for part in saved.split(",") if part.lstrip("-").isdigit()}

    async def cap(self, chat_id: int) -> int:
        saved = (await self._store.get_user_settings(chat_id)).get(CAP_KEY, "")
        return int(saved) if saved.isdigit() else self._default_cap

    async def may_set_cap(self, chat_id: int, account: int) -> bool:
        """The chat itself (an anonymous admin) or one who funded the pool."""
        return account == chat_id or account in await self.funders(chat_id)

    async def set_cap(self, chat_id: int, images: int) -> None:
        if not 0 <= images <= CAP_MAX:
            raise ValueError(f"a cap is 0 to {CAP_MAX} images")
        await self._store.set_user_settings(chat_id, {CAP_KEY: str(images)})

    async def status(self, chat_id: int) -> PoolStatus:
        balance = await self._ledger.balance(chat_id)
        raw = await self._store.recall(self._usage_key(chat_id, today()))
        used = (
            {entry["name"]: int(entry["images"]) for entry in json.loads(raw).values()}
            if raw
            else {}
        )
        cap = await self.cap(chat_id)
        return PoolStatus(balance.available_sats, balance.reserved_sats, cap, used)

    async def draw(self, job: Job, each: int) -> Reservation | None:
        """Reserve a group member's request from the pool; None when it is not one, the
        pool is short or the member's cap for today is used (their own balance pays)."""
        chat_id, member = job.chat_id, job.user_id
        if chat_id >= 0 or member == chat_id:
            return None
        pool = await self._ledger.balance(chat_id)
        if pool.available_sats < each * job.num_images:
            return None
        day = today()
        if not await self._take_slots(chat_id, member, day, job.num_images):
            return None
        try:
            reservation = await self._ledger.reserve(chat_id, job.id, job.num_images, each, 0, day)
        except InsufficientCredits:
            return None  # drained meanwhile by another member
        name = job.requester_name or str(member)
        await self._count_use(chat_id, member, name, day, job.num_images)
        return reservation

    async def _take_slots(self, chat_id: int, member: int, day: dt.date, images: int) -> bool:
        cap = await self.cap(chat_id)
        taken = 0
        for slot in range(cap):
            if taken == images:
                break
            key = f"pool-slot:{chat_id}:{member}:{day.isoformat()}:{slot}"
            if await self._store.first_sighting(key, USAGE_TTL_S):
                taken += 1
        return taken == images

    @staticmethod
    def _usage_key(chat_id: int, day: dt.date) -> str:
        return f"pool-use:{chat_id}:{day.isoformat()}"

    async def _count_use(
        self, chat_id: int, member: int, name: str, day: dt.date, images: int
    ) -> None:
        """What /pool shows (the slots above are what the cap counts)."""
        key = self._usage_key(chat_id, day)
        raw = await self._store.recall(key)
        used: dict[str, dict[str, object]] = json.loads(raw) if raw else {}
        before = used.get(str(member), {}).get("images", 0)
        used[str(member)] = {"name": name, "images": int(str(before)) + images}
        await self._store.remember(key, json.dumps(used), USAGE_TTL_S)
