"""The Bot API's connections: an httpx transport over aiohttp's connection pool.

python-telegram-bot speaks httpx (``RetryingRequest`` is its ``HTTPXRequest``); this
transport carries its requests over an ``aiohttp`` session instead of httpcore's pool.
httpcore's pool walks every connection it holds, checking each idle one for readability
with system calls, each time a request starts or ends: with a few hundred calls in
flight (a burst of jobs) that walk became most of the process's CPU and fed a backlog
that never drained (``bench/RESULTS.md``, row 8). aiohttp keeps idle connections in a
queue per host and parses HTTP in C: the cost of a call no longer grows with the calls
in flight.

Errors are mapped onto httpx's, keeping the one distinction the callers act on
(``fulmine.errors.request_never_left``): a connection that could not be made, or none
free in time, is ``httpx.ConnectError`` / ``ConnectTimeout`` (the request never left);
anything after the request started to go out (a dropped connection, a read timeout, a
stalled upload) is a ``ReadError`` / ``ReadTimeout`` / ``WriteTimeout``: its outcome is
unknown.

The session is opened on the first request, in the running loop, and closed with the
httpx client (python-telegram-bot's ``shutdown``); a later request opens a new one.
"""

from __future__ import annotations

import asyncio
import io

import aiohttp
import httpx
from aiohttp.payload import TOO_LARGE_BYTES_BODY

# Headers aiohttp writes itself from the body it is given.
_OWN_HEADERS = frozenset({"content-length", "transfer-encoding"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """At most ``max_connections`` connections, each idle one kept ``keepalive_s``."""

    def __init__(self, max_connections: int, keepalive_s: float = 5.0) -> None:
        self._max_connections = max_connections
        self._keepalive_s = keepalive_s
        # TLS verified as httpx verifies it (certifi's authorities, SSL_CERT_FILE); made
        # here, not on the event loop: loading the authorities reads a file.
        self._ssl = httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_s,
                ssl=self._ssl,
            )
            # Cookies are not the Bot API's: none kept. Bodies are handed back as sent
            # (httpx decodes them from their Content-Encoding).
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=True,  # HTTPS_PROXY and the like, as httpx would take them
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        pool, connect = timeouts.get("pool"), timeouts.get("connect")
        read, write = timeouts.get("read"), timeouts.get("write")
        body = await request.aread()  # python-telegram-bot's bodies are in memory already
        headers = [(k, v) for k, v in request.headers.multi_items() if k not in _OWN_HEADERS]
        session = self._opened()
        # Waiting for a free connection and making one: aiohttp's ``connect``. The upload
        # has no timeout of its own there: sending and waiting for the answer's head are
        # bounded by the sum; the body is read under the read timeout (a stalled read
        # fails, a long download goes on).
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        deadline = _sum(pool, connect, write, read)
        # Errors name their kind only (``from None``): aiohttp's messages, kept as a
        # cause, would quote the URL, which holds the bot's token.
        try:
            async with asyncio.timeout(deadline):
                response = await session.request(
                    request.method,
                    str(request.url),
                    data=_payload(body),
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    compress=None,
                )
            try:
                content = await response.read()
            finally:
                response.release()
        except aiohttp.ConnectionTimeoutError as exc:  # no connection free, or made, in time
            raise httpx.ConnectTimeout(_kind(exc), request=request) from None
        except aiohttp.ClientConnectorError as exc:  # refused, unreachable, name unknown
            raise httpx.ConnectError(_kind(exc), request=request) from None
        except aiohttp.SocketTimeoutError as exc:  # no answer within the read timeout
            raise httpx.ReadTimeout(_kind(exc), request=request) from None
        except TimeoutError:  # sending and the answer's head outlasted their deadline
            raise httpx.WriteTimeout(f"no answer within {deadline} s", request=request) from None
        except (aiohttp.ClientError, OSError) as exc:  # dropped while sending or reading
            raise httpx.ReadError(_kind(exc), request=request) from None
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            content=content,
            request=request,
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _payload(body: bytes) -> bytes | io.BytesIO | None:
    """The body as aiohttp takes it best: small, as bytes (one write with the headers);
    large, as a stream written in chunks (aiohttp warns about a large bytes body)."""
    if not body:
        return None
    return body if len(body) <= TOO_LARGE_BYTES_BODY else io.BytesIO(body)


def _sum(*parts: float | None) -> float | None:
    """The sum of the timeouts, or None (no limit) when any of them is None."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


def _kind(exc: BaseException) -> str:
    """The error's kind, and for a connection error its OS error (no URL, no token)."""
    os_error = getattr(exc, "os_error", None)
    return f"{type(exc).__name__}: {os_error}" if os_error is not None else type(exc).__name__
