"""What a fake server received: every request, whole, in order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        """Everything about the request as one string, for searching."""
        head = " ".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method} {self.path}?{self.query}\n{head}\n" + self.body.decode(
            "utf-8", errors="replace"
        )


class RequestLog:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []

    async def record(self, request: Request) -> RecordedRequest:
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=dict(request.headers),
            body=await request.body(),
        )
        self.requests.append(recorded)
        return recorded

    def to(self, method: str, path_suffix: str = "") -> list[RecordedRequest]:
        """The requests with this method whose path ends with ``path_suffix``."""
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    def containing(self, needle: str) -> list[RecordedRequest]:
        return [r for r in self.requests if needle in r.text()]
