"""The self-hosted GPU server (``fulmine gpu-server``, gpu_server/) as a provider.

One or more servers (``GPU_BACKEND_URLS``). With several, each call first asks every
server's ``/ready`` for its load and tries the least loaded ready one first, then the
others: a server that is down, full (503), failing (5xx) or refusing us (401/404) passes
the request to the next. Only when all of them fail does the call fail; it is retried
(tenacity, ``RetryPolicy``) when any failure was transient, after the shortest
``Retry-After`` given. A server that accepted the request but did not answer in time is
not asked again elsewhere: that is a :class:`ProviderTimeout`. The seed is chosen here, so
a request that moves to another server makes the same image.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from pydantic import ValidationError

from fulmine.errors import InvalidInput, request_never_left
from gpu_server.schemas import ImagesResponse, OutputFormat, ServerLoad
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import (
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    UnusableOutput,
)
from providers.images import inspect_image
from providers.retrying import RetryPolicy, retry_after_seconds, with_retries

log = structlog.get_logger(__name__)
MAX_SEED = 2**31 - 1
OUTPUT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GpuConfig:
    backend_urls: tuple[str, ...]
    token: str = field(repr=False)
    lora: str | None = None
    """A LoRA name in the servers' GPU_LORA_DIR, applied to generations."""
    lora_scale: float = 1.0
    steps: int | None = None  # None: the server's default for the model
    output_format: OutputFormat = "png"
    request_timeout_s: float = 120.0
    probe_timeout_s: float = 2.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def order_by_load(urls: Sequence[str], loads: Sequence[ServerLoad | None]) -> list[str]:
    """Ready servers from least to most loaded (ties keep the configured order), then the
    ones that are not ready or did not answer, in the configured order."""
    ready = [
        (load.queue_depth + load.running, index)
        for index, load in enumerate(loads)
        if load is not None and load.ready
    ]
    first = [urls[index] for _, index in sorted(ready)]
    return first + [url for url in urls if url not in first]


class GpuProvider(ImageProvider):
    name = "gpu"

    def __init__(self, config: GpuConfig) -> None:
        if not config.backend_urls:
            raise ValueError("GpuProvider needs at least one backend URL")
        self._config = config
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self._config.request_timeout_s, connect=5.0),
                headers={"Authorization": f"Bearer {self._config.token}"},
            )

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def ready(self) -> bool:
        """Any server says, on its own ``/ready``, that its models are loaded."""
        if self._http is None:
            return False
        loads = await asyncio.gather(*(self._probe(url) for url in self._config.backend_urls))
        return any(load is not None and load.ready for load in loads)

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        body = self._body(request)
        if self._config.lora:
            body["lora"] = {"name": self._config.lora, "scale": self._config.lora_scale}
        return await self._call("/v1/generate", body)

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        if request.input_image is None:
            raise InvalidInput(self.name, "edit needs an input image")
        await asyncio.to_thread(inspect_image, request.input_image)
        body = self._body(request)
        body["image"] = base64.b64encode(request.input_image).decode("ascii")
        return await self._call("/v1/edit", body)

    def _body(self, request: ImageRequest) -> dict[str, Any]:
        seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED)
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "num_images": request.num_images,
            "seed": seed,
            "aspect_ratio": request.aspect_ratio,
            "output_format": self._config.output_format,
        }
        if self._config.steps is not None:
            body["steps"] = self._config.steps
        return body

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("GpuProvider used before start()")
        return self._http

    async def _call(self, path: str, body: dict[str, Any]) -> list[ProviderImage]:
        answer = await with_retries(lambda: self._any_server(path, body), self._config.retry, path)
        return await asyncio.to_thread(self._images, answer)

    async def _any_server(self, path: str, body: dict[str, Any]) -> ImagesResponse:
        failures: list[ProviderUnavailable] = []
        for url in await self._servers_by_load():
            try:
                return await self._post(url, path, body)
            except ProviderUnavailable as exc:
                log.info("gpu_server_failed", server=url, status=exc.status_code, error=exc.detail)
                failures.append(exc)
        raise self._all_failed(failures) from failures[-1]

    async def _servers_by_load(self) -> list[str]:
        urls = self._config.backend_urls
        if len(urls) == 1:
            return list(urls)
        loads = await asyncio.gather(*(self._probe(url) for url in urls))
        return order_by_load(urls, loads)

    async def _probe(self, url: str) -> ServerLoad | None:
        try:
            response = await self._client.get(f"{url}/ready", timeout=self._config.probe_timeout_s)
            return ServerLoad.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError):
            return None

    async def _post(self, url: str, path: str, body: dict[str, Any]) -> ImagesResponse:
        try:
            response = await self._client.post(f"{url}{path}", json=body)
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.TimeoutException) and not request_never_left(exc):
                # Sent, and it may be running there.
                raise ProviderTimeout(self.name, self._config.request_timeout_s) from exc
            raise self._unreachable(url, exc) from exc
        if response.status_code == 200:
            try:
                return ImagesResponse.model_validate_json(response.content)
            except ValidationError as exc:
                raise UnusableOutput(self.name, "the GPU server's answer is unreadable") from exc
        raise self._status_error(url, response)

    def _unreachable(self, url: str, exc: httpx.HTTPError) -> ProviderUnavailable:
        return ProviderUnavailable(self.name, f"{url}: {type(exc).__name__}", transient=True)

    def _status_error(self, url: str, response: httpx.Response) -> ProviderError | InvalidInput:
        code = response.status_code
        detail = f"{url} answered {code}: {_detail(response)}"[:300]
        if code in (400, 413, 422):
            return InvalidInput(self.name, detail)
        transient = code in (429, 503) or code >= 500
        return ProviderUnavailable(
            self.name,
            detail,
            status_code=code,
            transient=transient,
            retry_after_s=retry_after_seconds(response.headers.get("retry-after")),
        )

    def _all_failed(self, failures: list[ProviderUnavailable]) -> ProviderUnavailable:
        waits = [f.retry_after_s for f in failures if f.retry_after_s is not None]
        codes = [f.status_code for f in failures if f.status_code is not None]
        return ProviderUnavailable(
            self.name,
            "no GPU server took the request: " + "; ".join(f.detail for f in failures),
            status_code=codes[-1] if codes else None,
            transient=any(f.transient for f in failures),
            retry_after_s=min(waits) if waits else None,
        )

    def _images(self, answer: ImagesResponse) -> list[ProviderImage]:
        if not answer.images:
            raise UnusableOutput(self.name, "the GPU server returned no image")
        images = []
        for image in answer.images:
            try:
                data = base64.b64decode(image.data, validate=True)
                info = inspect_image(data, max_bytes=OUTPUT_MAX_BYTES, source=self.name)
            except (binascii.Error, InvalidInput) as exc:
                raise UnusableOutput(self.name, f"output: {exc}") from exc
            images.append(ProviderImage(data=data, content_type=info.mime_type))
        return images


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail", "") if isinstance(body, dict) else body)[:200]
