"""The Bot API's HTTP client: python-telegram-bot's HTTPXRequest (its connections through
``bot.sending.transport``), retrying with backoff the calls that are safe to repeat when
their outcome is unknown.

A call whose answer never came (a read timeout, a dropped connection, a 5xx) may have
been carried out anyway. Repeating it is harmless only when doing it twice has the same
effect as once: reading (getMe, getFile), a chat action, editing or deleting a message
(a repeat of one carried out comes back 400 "not modified" / "not found": the caller
treats that as done). Anything that sends a message (sendMessage, sendPhoto,
sendMediaGroup, ...) is never repeated here once it may have reached Telegram: a second
try could show it twice, so its error goes to the caller, which decides: photos are
never sent again (``bot.sending.delivery``), plain text answers are (``bot.answers``; this layer
cannot tell them from the status message, which must not be doubled). A call that
never left (no connection could be made, or none was free in the pool) cannot have been
carried out, so any call is retried then. A 429 is not handled here: the rate limiter
waits it out (``AIORateLimiter``), as the call was refused.
"""

from __future__ import annotations

from typing import Any

import structlog
from telegram._utils.types import ODVInput  # the type of PTB's own signature
from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_base,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from bot.sending.transport import AiohttpTransport
from fulmine.errors import request_never_left

log = structlog.get_logger(__name__)

SAFE_TO_REPEAT = frozenset(
    {
        "getMe",
        "getFile",
        "getChat",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "setMyCommands",
        "sendChatAction",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
    }
)
MAX_BACKOFF_S = 10.0
Answer = tuple[int, bytes]


def _never_sent(error: BaseException) -> bool:
    """python-telegram-bot raises httpx's error as the cause of its own."""
    return isinstance(error, NetworkError) and request_never_left(error)


def _server_error(answer: Answer) -> bool:
    return answer[0] >= 500


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    failure = repr(outcome.exception()) if outcome and outcome.failed else None
    status = outcome.result()[0] if outcome and not outcome.failed else None
    log.info("bot_api_call_retried", attempt=state.attempt_number, error=failure, status=status)


def _last_outcome(state: RetryCallState) -> Answer:
    """Out of tries: the last answer goes to python-telegram-bot (a 5xx becomes its
    ``NetworkError``), or the last exception is raised."""
    assert state.outcome is not None
    answer: Answer = state.outcome.result()
    return answer


class RetryingRequest(HTTPXRequest):
    """``retries``: further tries of a call in :data:`SAFE_TO_REPEAT` whose outcome is
    unknown (a timeout or connection error, a 5xx), or of any call that never left,
    ``backoff_s`` before the first, doubling each time."""

    def __init__(self, *, retries: int, backoff_s: float, **httpx_request: Any) -> None:
        # Over aiohttp's connection pool (``bot.sending.transport``).
        pool = httpx_request.get("connection_pool_size", 1)  # HTTPXRequest's default
        client = dict(httpx_request.get("httpx_kwargs") or {})
        client.setdefault("transport", AiohttpTransport(pool))
        httpx_request["httpx_kwargs"] = client
        super().__init__(**httpx_request)
        self._retries = retries
        self._backoff_s = backoff_s

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> Answer:
        retry: retry_base = retry_if_exception(_never_sent)
        if url.rpartition("/")[2] in SAFE_TO_REPEAT:
            retry = retry_if_exception_type(NetworkError) | retry_if_result(_server_error)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_exponential(multiplier=self._backoff_s, max=MAX_BACKOFF_S),
            retry=retry,
            before_sleep=_log_retry,
            retry_error_callback=_last_outcome,
        )
        answer: Answer = await retrying(
            super().do_request,
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        return answer
