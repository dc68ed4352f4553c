"""The HTTP part shared by hosted classifiers: one JSON POST under one deadline, every
failure mapped to ``HostedClassifierError`` (the contract in ``base.py``)."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any

import httpx
from pydantic import SecretStr

from orchestrator.moderation.errors import HostedClassifierError, ModeratorNotStarted
from orchestrator.moderation.hosted.base import HostedClassifier, HostedVerdict

TIMEOUT, UNAVAILABLE, UNREADABLE = "timeout", "unavailable", "unreadable"


def api_root(base_url: str) -> str:
    """The service's root, whether the operator wrote it with ``/v1`` or without."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


class HttpClassifier(HostedClassifier):
    """POSTs ``body(text)`` as JSON to ``{base_url}{path}`` with the bearer key (if any)
    and reads the 200 answer with ``verdict(payload)``, which raises
    ``HostedClassifierError(UNREADABLE, ...)`` for an answer it cannot read."""

    path: str

    def __init__(self, base_url: str, key: SecretStr | None, model: str, timeout_s: float) -> None:
        self.base_url = api_root(base_url)
        self.model = model
        self.timeout_s = timeout_s
        self._key = key
        self._client: httpx.AsyncClient | None = None

    @abstractmethod
    def body(self, text: str) -> dict[str, Any]: ...

    @abstractmethod
    def verdict(self, payload: Any) -> HostedVerdict: ...

    async def start(self) -> None:
        if self._client is not None:
            return
        headers = {"Accept": "application/json"}
        if self._key is not None:
            headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,
        )

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def classify(self, text: str) -> HostedVerdict:
        client = self._client
        if client is None:
            raise ModeratorNotStarted()
        try:
            async with asyncio.timeout(self.timeout_s):  # one deadline for the whole call
                response = await client.post(self.path, json=self.body(text))
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise HostedClassifierError(TIMEOUT, f"no answer within {self.timeout_s} s") from exc
        except httpx.HTTPError as exc:  # no connection, a broken answer, a closed client
            raise HostedClassifierError(UNAVAILABLE, type(exc).__name__) from exc
        if response.status_code != httpx.codes.OK:
            # 429 and 5xx are the service's trouble; 401, 403, 404 and 400 the operator's
            # (key, URL, model): either way there is no verdict, and the status says which.
            raise HostedClassifierError(UNAVAILABLE, f"HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise HostedClassifierError(UNREADABLE, "the answer is not JSON") from exc
        return self.verdict(payload)
