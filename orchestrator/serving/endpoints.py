"""Endpoints answered in plain ASGI, ahead of FastAPI's routing.

A front end's ingest path (Telegram's webhook) takes every update at whatever rate
Telegram sends them, and each is answered at once with an empty body. FastAPI's request
and response objects, its exception middleware and its route matching cost as much as
everything the webhook itself does (``bench/ingest_cpu.py``): such a path is served here
instead, behind only the outer middleware (Starlette's error middleware, CORS when
configured, the body limit: ``orchestrator.serving.body_limit``). A front end names
them in ``endpoints()``: ``{path: asgi_app}``; an endpoint answers every method itself
(405 for the ones it does not take).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send


class DirectEndpoints:
    """Pure ASGI middleware: a request for one of ``endpoints``' exact paths goes to that
    endpoint; anything else to the app."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, ASGIApp]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root):  # served under a prefix (--root-path)
                path = path[len(root) :]
            endpoint = self.endpoints.get(path)
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def read_body(receive: Receive) -> bytes | None:
    """The request's whole body; None when the client went away before it arrived."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def answer(send: Send, status: int, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """An answer with no body."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", b"0"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": b""})
