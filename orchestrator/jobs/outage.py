"""Riding out a short outage of the state store (a Redis restart) at the steps that must
not be dropped: the writes that record where a job is and settle its payment.

Elsewhere a ``StateError`` is answered at once (the webhook says 503, so Telegram sends
the update again; a claim is tried again a second later). A worker holding a job is
different: giving up there throws away the provider's work, or leaves a photo that was
sent recorded as "sending" (which a later worker must then fail as uncertain), or a
reservation neither captured nor released. So those steps wait for the store to return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    wait_fixed,
)

from state.errors import StateUnavailable

log = structlog.get_logger(__name__)

OUTAGE_WAIT_S = 30.0  # a restart with an append-only file to load takes seconds
RETRY_EVERY_S = 0.5
T = TypeVar("T")


def _log_wait(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("state_unavailable_waiting", attempt=state.attempt_number, error=repr(error))


async def through_outage(step: Callable[[], Awaitable[T]], within_s: float = OUTAGE_WAIT_S) -> T:
    """``step()``, tried again while the store is unreachable (``StateUnavailable``), for
    up to ``within_s`` seconds; then that error goes up. Only for idempotent steps (keyed
    by job id): a step whose answer was lost with the connection runs again."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(StateUnavailable),
        wait=wait_fixed(RETRY_EVERY_S),
        stop=stop_after_delay(within_s),
        before_sleep=_log_wait,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await step()
    raise AssertionError("unreachable: the last error is re-raised")
