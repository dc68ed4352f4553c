"""Text answers, sent at least once.

A text whose sending got no answer (a timeout, a 5xx) may or may not have arrived.
Photos are then never sent again (see ``bot.sending.delivery``), and neither is the status
message, which later calls change by its id (a second copy would be left behind). A
plain text answer is different: the same words twice are a small annoyance, a user left
without an answer is worse, so it is sent again, a few times, backing off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog
from telegram import Message, MessageEntity
from telegram.error import BadRequest, NetworkError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

log = structlog.get_logger(__name__)

TRIES = 3
FIRST_BACKOFF_S = 0.5
T = TypeVar("T")


def _outcome_unknown(error: BaseException) -> bool:
    """No answer: not a refusal (``BadRequest``), and not flood control (``RetryAfter``
    is waited out by the rate limiter before it gets here)."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def _log_again(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.info("text_answer_sent_again", attempt=state.attempt_number, error=repr(error))


async def at_least_once(send: Callable[[], Awaitable[T]]) -> T:
    """``send()``, repeated while its outcome is unknown, up to ``TRIES`` times in all."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(_outcome_unknown),
        stop=stop_after_attempt(TRIES),
        wait=wait_exponential(multiplier=FIRST_BACKOFF_S),
        before_sleep=_log_again,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await send()
    raise AssertionError("unreachable: the last error is re-raised")


async def reply(
    message: Message, text: str, entities: Sequence[MessageEntity] | None = None
) -> Message:
    """``message.reply_text(text)``, at least once."""
    return await at_least_once(lambda: message.reply_text(text, entities=entities))
