"""A request body size limit for every route, answered with 413; a client gone before its
body arrived whole (cut off by the server's receive deadline, or hung up) ends its request
quietly: there is nobody to answer, and nothing went wrong here."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

# Past the limit the rest of the body is read and dropped, up to this many times the
# limit, so that an ordinary client reads the 413 instead of a reset connection; a
# bigger body just gets its connection closed.
DRAIN_FACTOR = 16


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Pure ASGI middleware: a declared Content-Length over the limit is refused before
    the app runs; a streamed (chunked) body as soon as it passes the limit."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})  # exact paths allowed another limit (image uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._refuse(receive, send, already_read=0, max_bytes=max_bytes)
            return
        received = 0
        response_started = False
        disconnected = False

        async def limited_receive() -> Message:
            nonlocal received, disconnected
            message = await receive()
            disconnected = disconnected or message["type"] == "http.disconnect"
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(receive, send, already_read=received, max_bytes=max_bytes)
        except ClientDisconnect:
            if not disconnected:
                raise
            log.info("client_gone_mid_request", path=scope.get("path"), received=received)

    async def _refuse(
        self, receive: Receive, send: Send, already_read: int, max_bytes: int
    ) -> None:
        drained = already_read
        while drained <= max_bytes * DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request":
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": b"request body too large"})
