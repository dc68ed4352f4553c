"""Retrying one provider call on transient errors, with tenacity.

Only a :class:`ProviderUnavailable` marked ``transient`` is retried: the adapter decides
what is safe to repeat (a GET always; a create only when it certainly created nothing).
Refusals, invalid input and timeouts are never retried.
"""

from __future__ import annotations

import email.utils
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random

from providers.errors import ProviderUnavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    """Tries of one call in all, the first included."""
    backoff_s: float = 1.0
    """Wait before the first retry; it doubles each time, plus up to as much random jitter."""
    max_wait_s: float = 20.0
    """Longest wait between tries; a longer ``Retry-After`` counts as "down", not retried."""


def is_retryable(error: BaseException, policy: RetryPolicy) -> bool:
    if not isinstance(error, ProviderUnavailable) or not error.transient:
        return False
    return error.retry_after_s is None or error.retry_after_s <= policy.max_wait_s


class _RetryAfterOrBackoff(wait_base):
    """The provider's ``Retry-After`` when it gave one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential(
            multiplier=policy.backoff_s, max=policy.max_wait_s
        ) + wait_random(0, policy.backoff_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, ProviderUnavailable) and error.retry_after_s is not None:
            return max(0.0, error.retry_after_s)
        return float(self._backoff(retry_state))


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        wait_s = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.info(
            "provider_call_retry",
            call=what,
            attempt=retry_state.attempt_number,
            wait_s=round(wait_s, 3),
            error=repr(error),
        )

    return before_sleep


async def with_retries(operation: Callable[[], Awaitable[T]], policy: RetryPolicy, what: str) -> T:
    """Run ``operation`` up to ``policy.attempts`` times; the last error is re-raised."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_RetryAfterOrBackoff(policy),
        retry=retry_if_exception(lambda error: is_retryable(error, policy)),
        before_sleep=_log_retry(what),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await operation()
    raise AssertionError("unreachable: tenacity re-raises the last error")


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
