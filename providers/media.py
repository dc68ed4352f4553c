"""Moving image bytes to and from providers: inputs as data URIs, outputs downloaded and checked.

An input image travels inside the request as a ``data:`` URI, never as a chat platform's
URL (those carry the bot's token). Outputs are fetched without any credentials, capped in
size while they stream, and must be whole images Pillow can open.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Sequence

import httpx

from fulmine.errors import InvalidInput
from providers.base import ProviderImage
from providers.errors import ProviderUnavailable, UnusableOutput
from providers.images import inspect_image
from providers.retrying import RetryPolicy, retry_after_seconds, with_retries

OUTPUT_MAX_BYTES = 20 * 1024 * 1024


def to_data_uri(data: bytes) -> str:
    """``data:<mime>;base64,...`` for an image checked whole before (the provider contract):
    its header says the type, nothing is decoded again (InvalidInput if it is not one)."""
    info = inspect_image(data, decode=False)
    return f"data:{info.mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def _from_data_uri(provider: str, uri: str) -> bytes:
    header, comma, payload = uri.partition(",")
    if not comma or not header.endswith(";base64"):
        raise UnusableOutput(provider, "output data URI is not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnusableOutput(provider, "output data URI does not decode") from exc


class OutputFetcher:
    """Downloads a provider's outputs; one per provider, started and stopped with it."""

    def __init__(
        self,
        provider: str,
        policy: RetryPolicy,
        timeout_s: float,
        max_bytes: int = OUTPUT_MAX_BYTES,
    ) -> None:
        self._provider = provider
        self._policy = policy
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=True)

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def fetch_all(self, locations: Sequence[str]) -> list[ProviderImage]:
        if not locations:
            raise UnusableOutput(self._provider, "the provider returned no image")
        return [await self.fetch(location) for location in locations]

    async def fetch(self, location: str) -> ProviderImage:
        if location.startswith("data:"):
            data = _from_data_uri(self._provider, location)
        elif location.startswith(("https://", "http://")):
            data = await with_retries(lambda: self._download(location), self._policy, "download")
        else:
            raise UnusableOutput(self._provider, "output is neither a URL nor a data URI")
        try:
            info = await asyncio.to_thread(
                inspect_image, data, max_bytes=self._max_bytes, source=self._provider
            )
        except InvalidInput as exc:
            raise UnusableOutput(self._provider, f"output: {exc.detail}") from exc
        return ProviderImage(data=data, content_type=info.mime_type)

    async def _download(self, url: str) -> bytes:
        if self._http is None:
            raise RuntimeError("OutputFetcher used before start()")
        try:
            async with self._http.stream("GET", url) as response:
                self._check_status(response)
                declared = response.headers.get("content-length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > self._max_bytes:
                    raise self._too_big(int(declared))
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self._max_bytes:
                        raise self._too_big(len(data))
                return bytes(data)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                self._provider, f"output download failed: {type(exc).__name__}", transient=True
            ) from exc

    def _check_status(self, response: httpx.Response) -> None:
        code = response.status_code
        if code == 429 or code >= 500:
            raise ProviderUnavailable(
                self._provider,
                f"output download answered {code}",
                status_code=code,
                transient=True,
                retry_after_s=retry_after_seconds(response.headers.get("retry-after")),
            )
        if code >= 400:
            raise UnusableOutput(self._provider, f"output download answered {code}")

    def _too_big(self, size: int) -> UnusableOutput:
        return UnusableOutput(
            self._provider, f"output is over {self._max_bytes} bytes (at least {size})"
        )
