"""A loopback HTTP proxy in front of a real service (LNbits): every request passed on is
recorded first, so a test can count what the bot asked the service for."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.recording import RequestLog

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_NOT_PASSED_ON = {"host", "content-length", "connection", "transfer-encoding"}


class RecordingProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.url = ""  # the proxy's own, set once served
        self.log = RequestLog()
        self.app = Starlette(routes=[Route("/{path:path}", self._pass_on, methods=METHODS)])

    async def _pass_on(self, request: Request) -> Response:
        recorded = await self.log.record(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_PASSED_ON}
        async with httpx.AsyncClient(base_url=self.target, timeout=30) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.url.query,
                content=recorded.body,
                headers=headers,
            )
        kept = {"content-type": answer.headers.get("content-type", "application/json")}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
