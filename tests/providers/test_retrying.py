from __future__ import annotations

import email.utils
import time

import pytest

from providers.errors import ContentRefused, ProviderTimeout, ProviderUnavailable
from providers.retrying import (
    RetryPolicy,
    is_retryable,
    retry_after_seconds,
    with_retries,
)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (retry_after_seconds(in_a_minute) or 0) <= 60
    assert retry_after_seconds(email.utils.formatdate(0, usegmt=True)) == 0.0


def test_only_transient_unavailability_within_the_wait_is_retried() -> None:
    policy = RetryPolicy(max_wait_s=10)
    assert is_retryable(ProviderUnavailable("p", transient=True), policy)
    assert is_retryable(ProviderUnavailable("p", transient=True, retry_after_s=10), policy)
    assert not is_retryable(ProviderUnavailable("p", transient=True, retry_after_s=11), policy)
    assert not is_retryable(ProviderUnavailable("p"), policy)
    assert not is_retryable(ContentRefused("p"), policy)
    assert not is_retryable(ProviderTimeout("p", 1), policy)


async def test_with_retries_stops_at_the_attempt_limit_and_reraises() -> None:
    calls: list[float] = []

    async def down() -> None:
        calls.append(time.monotonic())
        raise ProviderUnavailable("p", "503", transient=True)

    with pytest.raises(ProviderUnavailable, match="503"):
        await with_retries(down, RetryPolicy(attempts=3, backoff_s=0.01), "test")
    assert len(calls) == 3


async def test_with_retries_does_not_repeat_a_refusal() -> None:
    calls = 0

    async def refuse() -> None:
        nonlocal calls
        calls += 1
        raise ContentRefused("p", "no")

    with pytest.raises(ContentRefused):
        await with_retries(refuse, RetryPolicy(attempts=3, backoff_s=0.01), "test")
    assert calls == 1
