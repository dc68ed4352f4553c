"""A loopback HTTP endpoint that records every webhook posted to it, byte for byte, so
tests can hand exactly what a service sent to a backend's ``parse_webhook``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orchestrator.serving.server import serve_in_background


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookRecorder:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.url = ""  # set once served
        self._arrived = asyncio.Event()
        self.app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        self.deliveries.append(
            Delivery(request.url.path, dict(request.headers), await request.body())
        )
        self._arrived.set()
        return Response(status_code=200)

    def at(self, path: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.path == path]

    async def wait_for(self, path: str, count: int = 1, timeout_s: float = 10.0) -> list[Delivery]:
        """The first ``count`` deliveries to ``path``; fails the test if they do not come."""
        await self._wait(
            lambda: len(self.at(path)) >= count, f"{count} webhook(s) at {path}", timeout_s
        )
        return self.at(path)[:count]

    async def wait_for_body(self, path: str, needle: bytes, timeout_s: float = 10.0) -> Delivery:
        """The first delivery to ``path`` whose body contains ``needle``."""

        def found() -> Delivery | None:
            return next((d for d in self.at(path) if needle in d.body), None)

        await self._wait(
            lambda: found() is not None, f"a webhook at {path} with {needle!r}", timeout_s
        )
        delivery = found()
        assert delivery is not None
        return delivery

    async def _wait(self, done: Callable[[], bool], what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            self._arrived.clear()  # before looking, so no arrival is missed
            if done():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"expected {what}; received {len(self.deliveries)} webhook(s)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)


@pytest.fixture
async def webhook_recorder() -> AsyncIterator[WebhookRecorder]:
    recorder = WebhookRecorder()
    async with serve_in_background(recorder.app) as url:
        recorder.url = url
        yield recorder
