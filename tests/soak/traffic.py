"""The soak's traffic: people, what they send, and what each message should come to.

Every message the soak sends is kept as a :class:`Sent` with what it wants (a job, an
invoice, one exact answer, nothing...), so the accounting afterwards derives its exact
counts from what was sent, never from what the bot happened to do.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from orchestrator.payments.service import PaymentService
from providers.payments.fake import FakePaymentBackend
from tests.conftest import BOT_USERNAME, Stack, png_bytes

JSON = dict[str, Any]
RICH_CREDITS = 1000
POSTS_AT_ONCE = 16  # Telegram keeps up to 40 webhook requests open; a loaded box, fewer


class Want(StrEnum):
    JOB = "job"  # starts exactly one job, at once
    INVOICE = "invoice"  # a job parked behind an invoice (its fate says what comes of it)
    TOPUP = "topup"  # a top-up invoice (always paid)
    TEXT = "text"  # exactly one reply: ``answer``
    BURST = "burst"  # one of a burst: a job, or a rate-limit refusal (counted per burst)
    NOTHING = "nothing"  # not for the bot: no job, no answer
    PRESS = "press"  # the owner presses a result's button: answered, one job
    FOREIGN_PRESS = "foreign_press"  # someone else presses it: answered with a refusal


class Fate(StrEnum):
    PAID = "paid"  # paid; the service's webhook arrives (twice, re-sent)
    UNNOTICED = "unnoticed"  # paid; the webhook is lost, reconciliation finds it
    EXPIRED = "expired"  # expires; the webhook says so
    NEVER = "never"  # never paid: stays pending to the end


@dataclass
class Sent:
    update: JSON
    user_id: int
    chat_id: int
    want: Want
    answer: str | None = None
    burst: str | None = None
    fate: Fate | None = None
    amount: int = 0
    posts: int = 0
    settled: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def message_id(self) -> int:
        """The message sent; for a press, the result message under which it was pressed."""
        if "callback_query" in self.update:
            return int(self.update["callback_query"]["message"]["message_id"])
        return int(self.update["message"]["message_id"])


async def _as_a_sender_would(post: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Telegram and payment services send again when a connection breaks before the
    answer (here: a kept-alive connection the server closed as the request went out)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(httpx.TransportError),
        stop=stop_after_attempt(3),
        wait=wait_fixed(0.2),
        reraise=True,
    ):
        with attempt:
            return await post()
    raise AssertionError("unreachable: tenacity returns or raises")


@dataclass
class Burst:
    """Requests at once past a limit: ``admitted`` of them start jobs, the others are
    refused with a text (or, short of credits, an invoice's caption) starting so."""

    admitted: int
    refusal_prefix: str
    chat_id: int
    invoice_sats: int = 0  # the invoice for what a person short of credits lacks


@dataclass
class Traffic:
    """Sends messages on behalf of many people, and remembers all of it."""

    stack: Stack
    payments: PaymentService
    backend: FakePaymentBackend
    rng: random.Random
    sent: list[Sent] = field(default_factory=list)
    seeded: Counter[int] = field(default_factory=Counter)
    paid: Counter[int] = field(default_factory=Counter)
    bursts: dict[str, Burst] = field(default_factory=dict)
    never_paid: set[str] = field(default_factory=set)
    topped_up: list[tuple[JSON, JSON]] = field(default_factory=list)  # (user, chat)
    _next_user: int = 10_000
    _next_group: int = -100_700_000_000

    # People and chats -----------------------------------------------------------------------

    async def person(self, credits: int = RICH_CREDITS) -> tuple[JSON, JSON]:
        """A new user (with ``credits`` to start with) and their private chat."""
        self._next_user += 1
        user = self.stack.emulator.user(self._next_user, f"User{self._next_user}")
        if credits:
            await self.payments.ledger.credit(user["id"], f"soak-start-{user['id']}", credits)
            self.seeded[user["id"]] += credits
        return user, self.stack.emulator.private_chat(user)

    def group(self) -> JSON:
        self._next_group -= 1
        return self.stack.emulator.group_chat(self._next_group, f"Soak {self._next_group}")

    # Messages -------------------------------------------------------------------------------

    def message(
        self, chat: JSON, user: JSON, want: Want, answer: str | None = None, **kwargs: Any
    ) -> Sent:
        """``kwargs``: what ``user_message`` takes (text, caption, photo, reply_to_message_id)."""
        update = self.stack.emulator.user_message(chat, user, **kwargs)
        return Sent(update, user["id"], chat["id"], want, answer)

    def command(
        self, chat: JSON, user: JSON, text: str, want: Want = Want.JOB, **expected: Any
    ) -> Sent:
        """``expected``: more of what it should come to (answer, burst, fate, amount)."""
        if chat["type"] != "private":  # in groups (privacy mode) commands name the bot
            name, _, rest = text.partition(" ")
            text = f"{name}@{BOT_USERNAME} {rest}"
        sent = self.message(chat, user, want, text=text)
        for name, value in expected.items():
            setattr(sent, name, value)
        return sent

    def photo(self, chat: JSON, user: JSON, caption: str | None = None) -> Sent:
        color = self.rng.choice(["red", "blue", "teal", "orange", "purple"])
        want = Want.NOTHING if caption is None else Want.JOB
        return self.message(chat, user, want, photo=png_bytes((64, 48), color), caption=caption)

    def edit(self, chat: JSON, user: JSON, instruction: str) -> list[Sent]:
        """A photo, then ``/edit`` as a reply to it."""
        photo = self.photo(chat, user)
        reply_to = photo.message_id
        text = f"/edit {instruction}"
        if chat["type"] != "private":
            text = f"/edit@{BOT_USERNAME} {instruction}"
        edit = self.message(chat, user, Want.JOB, text=text, reply_to_message_id=reply_to)
        return [photo, edit]

    def press(self, chat: JSON, user: JSON, message_id: int, data: str, want: Want) -> Sent:
        update = self.stack.emulator.button_press(chat, user, message_id, data)
        return Sent(update, user["id"], chat["id"], want)

    # Sending --------------------------------------------------------------------------------

    async def post(self, batch: list[Sent], repeat_share: float = 0.0) -> None:
        """Post ``batch`` in a shuffled order, a few at a time, as Telegram delivers;
        ``repeat_share`` of them are sent twice at once (a re-send racing the first)."""
        self.sent.extend(batch)
        await self._post([*batch, *(s for s in batch if self.rng.random() < repeat_share)])

    async def resend(self, share: float) -> None:
        """Telegram re-sends some updates it already delivered (an answer it thinks lost)."""
        await self._post([s for s in self.sent if self.rng.random() < share])

    async def _post(self, order: list[Sent]) -> None:
        self.rng.shuffle(order)
        slots = asyncio.Semaphore(POSTS_AT_ONCE)

        async def one(sent: Sent) -> None:
            async with slots:
                sent.posts += 1
                response = await _as_a_sender_would(lambda: self.stack.post(sent.update))
                assert response.status_code == 200, (response.status_code, sent)

        await asyncio.gather(*(one(s) for s in order))

    async def webhook(self, body: bytes, headers: dict[str, str]) -> None:
        url = f"{self.stack.url}/payments/fake/webhook"
        response = await _as_a_sender_would(
            lambda: self.stack.http.post(url, content=body, headers=headers)
        )
        assert response.status_code == 200, response.text

    async def settle_invoices(self) -> None:
        """Every invoice asked for so far meets its fate; NEVER ones stay pending."""
        pending = {p.user_id: p for p in await self.payments.ledger.pending_invoices()}
        webhooks = []
        for sent in self.sent:
            if sent.want not in (Want.INVOICE, Want.TOPUP) or sent.settled:
                continue
            sent.settled = True
            record = pending[sent.user_id]  # one invoice per person, by design of the plan
            assert record.amount_sats == sent.amount, (record, sent)
            if sent.fate is Fate.PAID:
                paid = self.backend.mark_paid(record.invoice_id)
                webhooks += [paid, self.backend.redeliver(paid)]
            elif sent.fate is Fate.UNNOTICED:
                self.backend.mark_paid(record.invoice_id)
            elif sent.fate is Fate.EXPIRED:
                expired = self.backend.mark_expired(record.invoice_id)
                webhooks += [expired, self.backend.redeliver(expired)]
            else:
                self.never_paid.add(record.invoice_id)
            if sent.fate in (Fate.PAID, Fate.UNNOTICED):
                self.paid[sent.user_id] += sent.amount
        for burst in self.bursts.values():  # a burst past someone's credits: left unpaid
            left = pending.get(burst.chat_id)  # a private chat's id is its person's
            if burst.invoice_sats and left and left.invoice_id not in self.never_paid:
                assert left.amount_sats == burst.invoice_sats, (left, burst)
                self.never_paid.add(left.invoice_id)
        self.rng.shuffle(webhooks)
        await asyncio.gather(*(self.webhook(w.body, w.headers) for w in webhooks))
