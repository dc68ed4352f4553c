"""What the payment service tells a user, as data; the front end puts it into words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class NoticeKind(StrEnum):
    JOB_PAID = "job_paid"  # the invoice of a parked job was paid: it runs now
    TOPUP_CREDITED = "topup_credited"
    EXPIRED = "expired"  # unpaid (expired or invalid): nothing charged
    STILL_SHORT = "still_short"  # paid, credited, but the balance no longer covers the job
    POOL_FUNDED = "pool_funded"  # a member's invoice for a group's pool was paid into it
    POOL_EXPIRED = "pool_expired"  # that invoice expired unpaid


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    kind: NoticeKind
    chat_id: int
    user_id: int
    language: str | None
    amount_sats: int  # paid (credited) or, for EXPIRED, invoiced
    balance_sats: int  # the user's, or for the POOL_ kinds the group's pool
    reply_to_message_id: int | None = None  # the request a job (or pool) invoice answered
    frontend: str = "telegram"  # the front end that puts it into words
    prompt: str | None = None  # EXPIRED: the request the invoice was for (None: a top-up)


class PaymentNotifier(Protocol):
    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        """Tell the user; returns the message id sent (None when nothing was sent)."""
        ...
