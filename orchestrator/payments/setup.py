"""The payment service of a runtime, or None when ``PAYMENTS_BACKEND`` is ``none``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from orchestrator.payment_setup import build_payment_backend
from orchestrator.payments.notices import PaymentNotifier
from orchestrator.payments.service import PaymentService
from orchestrator.settings import Settings
from state.base import Ledger, StateStore
from state.ledger_memory import MemoryLedger
from state.ledger_redis import RedisLedger
from state.models import Job
from state.redis_store import RedisStateStore


def build_ledger(store: StateStore) -> Ledger:
    """On the state store's own backing: Redis when it is Redis, else memory."""
    if isinstance(store, RedisStateStore):
        return RedisLedger(store.client, store.keys)
    return MemoryLedger()


def build_payments(
    settings: Settings,
    store: StateStore,
    submit: Callable[[Job], Awaitable[None]],
    notifier: PaymentNotifier,
) -> PaymentService | None:
    backend = build_payment_backend(settings)
    if backend is None:
        return None
    return PaymentService(settings, backend, build_ledger(store), store, submit, notifier)
