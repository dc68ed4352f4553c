"""The one Redis connection pool of a process, and the mapping of Redis errors to ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from state.errors import StateError, StateUnavailable

CONNECT_TIMEOUT_S = 2.0
# Longer than any blocking read the queue issues (its claim waits are a second or two).
SOCKET_TIMEOUT_S = 10.0
HEALTH_CHECK_INTERVAL_S = 30


def connect(url: str) -> Redis:
    """A client with its own connection pool; connections open lazily, on first use."""
    client: Redis = Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
    )
    return client


@contextlib.contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Redis's exceptions as ``state.errors``; never the URL (it may hold a password)."""
    try:
        yield
    except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
        raise StateUnavailable(f"redis unreachable during {operation}") from exc
    except redis_errors.RedisError as exc:
        raise StateError(f"redis refused {operation}: {type(exc).__name__}") from exc
