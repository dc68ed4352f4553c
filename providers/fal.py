"""fal.ai through ``fal-client``'s queue API: submit, poll the status, fetch the result,
download the images; cancel the request when the caller gives up.

nano-banana edits (``fal-ai/nano-banana/edit``) and FLUX-LoRA generation (``fal-ai/flux-lora``)
by default. fal-client reads ``FAL_RUN_HOST``/``FAL_QUEUE_RUN_HOST`` from the process
environment when it is first imported, and always speaks https.

Every submit carries a server-side start timeout, which also stops fal-client from sending
a timed-out submit again by itself: a submit whose answer was lost may have queued work, and
the queue cannot be searched, so it is reported as possibly still running, not repeated.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from fal_client import AsyncClient, AsyncRequestHandle, Completed, Queued
from fal_client.client import FalClientHTTPError

from fulmine.errors import InvalidInput, request_never_left
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ContentRefused, ProviderError, ProviderUnavailable
from providers.media import OutputFetcher, to_data_uri
from providers.retrying import RetryPolicy, retry_after_seconds, with_retries

log = structlog.get_logger(__name__)

CANCEL_LIMIT_S = 5.0
# How long an abandoned submit may still take to answer before its request is logged as
# unknown: short, as shutdown gives a cancelled job only a few seconds (orchestrator.jobs.tasks).
ORPHAN_WAIT_S = 2.0
MIN_START_TIMEOUT_S = 1.5  # fal-client refuses 1 s or less
MAX_SEED = 2**31 - 1
GENERATE_PIXELS = 1024 * 1024
REFUSAL_MARKERS = ("content_policy", "nsfw", "safety")


@dataclass(frozen=True, slots=True)
class FalConfig:
    key: str = field(repr=False)
    edit_model: str = "fal-ai/nano-banana/edit"
    generate_model: str = "fal-ai/flux-lora"
    lora: str | None = None
    """A LoRA for generation: ``loras: [{path, scale}]`` (a URL or Hugging Face path)."""
    lora_scale: float = 1.0
    upscale_model: str = "fal-ai/esrgan"
    params: dict[str, Any] = field(default_factory=dict)
    """Default arguments of every call (a request's own values win)."""
    output_format: str = "png"
    start_timeout_s: float = 90.0
    """How long fal may keep a request queued before giving it up."""
    request_timeout_s: float = 20.0
    poll_interval_s: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def image_size(aspect_ratio: str) -> dict[str, int]:
    """About one megapixel in ``W:H``, both sides multiples of 16."""
    width, _, height = aspect_ratio.partition(":")
    ratio = int(width) / int(height)
    side = math.sqrt(GENERATE_PIXELS)
    return {
        "width": max(16, round(side * math.sqrt(ratio) / 16) * 16),
        "height": max(16, round(side / math.sqrt(ratio) / 16) * 16),
    }


class FalProvider(ImageProvider):
    name = "fal"

    def __init__(self, config: FalConfig) -> None:
        self._config = config
        self._outputs = OutputFetcher(self.name, config.retry, config.request_timeout_s)
        self._client: AsyncClient | None = None
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = AsyncClient(
                key=self._config.key, default_timeout=self._config.request_timeout_s
            )
            await self._outputs.start()

    async def stop(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        # fal-client has no close(); its httpx client is built lazily and cached.
        if "_client" in vars(client):
            http: httpx.AsyncClient = await client._client
            await http.aclose()
        await self._outputs.stop()

    async def ready(self) -> bool:
        """Started with a key (fal has no free call that checks it)."""
        return self._client is not None and bool(self._config.key.strip())

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        arguments: dict[str, Any] = {
            **self._config.params,
            "prompt": request.prompt,
            "num_images": request.num_images,
            "output_format": self._config.output_format,
            "image_size": image_size(request.aspect_ratio),
            "seed": request.seed if request.seed is not None else secrets.randbelow(MAX_SEED),
        }
        if request.lora:
            arguments["loras"] = [{"path": request.lora, "scale": request.lora_scale}]
        elif self._config.lora:
            arguments["loras"] = [{"path": self._config.lora, "scale": self._config.lora_scale}]
        return await self._run(self._config.generate_model, arguments)

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        if request.input_image is None:
            raise InvalidInput(self.name, "edit needs an input image")
        arguments = {
            **self._config.params,
            "prompt": request.prompt,
            "image_urls": [await asyncio.to_thread(to_data_uri, request.input_image)],
            "num_images": request.num_images,
            "output_format": self._config.output_format,
        }
        return await self._run(self._config.edit_model, arguments)

    async def upscale(self, request: ImageRequest) -> list[ProviderImage]:
        """ESRGAN: ``image_url`` in, ``image.url`` out; ``scale`` from the params."""
        if request.input_image is None:
            raise InvalidInput(self.name, "upscale needs an input image")
        arguments = {
            "scale": 2,
            **self._config.params,
            "image_url": await asyncio.to_thread(to_data_uri, request.input_image),
            "output_format": self._config.output_format,
        }
        return await self._run(self._config.upscale_model, arguments)

    @property
    def _api(self) -> AsyncClient:
        if self._client is None:
            raise RuntimeError("FalProvider used before start()")
        return self._client

    async def _run(self, model: str, arguments: dict[str, Any]) -> list[ProviderImage]:
        policy = self._config.retry
        submitting = asyncio.ensure_future(
            with_retries(lambda: self._submit(model, arguments), policy, "submit")
        )
        try:
            handle = await asyncio.shield(submitting)
        except asyncio.CancelledError:  # the caller gave up while the submit was on its way
            await self._cancel_once_submitted(submitting)
            raise
        log.info("fal_request_submitted", model=model, request_id=handle.request_id)
        try:
            await self._wait(handle, policy)
            result = await with_retries(
                lambda: self._call(handle.get(), "result"), policy, "result"
            )
        except asyncio.CancelledError:  # the caller's time limit, or shutdown
            await self._cancel(handle)
            raise
        except ProviderUnavailable as exc:  # lost track of it: stop it before giving up
            stopped = await self._cancel(handle)
            raise ProviderUnavailable(
                self.name, exc.detail, status_code=exc.status_code, may_still_run=not stopped
            ) from exc
        return await self._outputs.fetch_all(self._image_urls(result))

    async def _submit(self, model: str, arguments: dict[str, Any]) -> AsyncRequestHandle:
        start_timeout = max(MIN_START_TIMEOUT_S, self._config.start_timeout_s)
        try:
            return await self._api.submit(model, arguments, start_timeout=start_timeout)
        except FalClientHTTPError as exc:  # fal answered with an error: nothing was queued
            raise self._http_error(exc) from exc
        except httpx.HTTPError as exc:
            if request_never_left(exc):
                raise self._network_error("submit", exc) from exc
            raise ProviderUnavailable(
                self.name, f"submit got no answer: {type(exc).__name__}", may_still_run=True
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:  # a 2xx whose body we cannot read
            raise ProviderUnavailable(
                self.name, "submit answered with an unreadable body", may_still_run=True
            ) from exc

    async def _wait(self, handle: AsyncRequestHandle, policy: RetryPolicy) -> None:
        while True:
            status = await with_retries(
                lambda: self._call(handle.status(), "status"), policy, "status"
            )
            if isinstance(status, Completed):
                if status.error or status.error_type:
                    raise self._failure(f"{status.error_type or ''} {status.error or ''}")
                return
            if isinstance(status, Queued):
                log.info("fal_queued", request_id=handle.request_id, position=status.position)
            await asyncio.sleep(self._config.poll_interval_s)

    async def _call(self, request: Any, what: str) -> Any:
        """Await an idempotent request (status, result), mapping failures to ours."""
        try:
            return await request
        except FalClientHTTPError as exc:
            raise self._http_error(exc) from exc
        except httpx.HTTPError as exc:
            raise self._network_error(what, exc) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderUnavailable(
                self.name, f"{what} answered with an unreadable body", transient=True
            ) from exc

    async def _cancel_once_submitted(self, submitting: asyncio.Future[AsyncRequestHandle]) -> None:
        """fal may queue a request whose submit was abandoned, and offers no way to find it
        afterwards (Replicate lists predictions; fal does not): so wait, briefly, for the
        submit's answer and cancel what it queued rather than pay for an orphan."""
        try:
            async with asyncio.timeout(ORPHAN_WAIT_S):
                handle = await submitting
        except BaseException as exc:  # nothing queued, not known in time, or cancelled again
            log.warning("fal_orphan_unknown", error=repr(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        await self._cancel(handle)

    async def _cancel(self, handle: AsyncRequestHandle) -> bool:
        try:
            async with asyncio.timeout(CANCEL_LIMIT_S):
                await handle.cancel()
        except (FalClientHTTPError, httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("fal_cancel_failed", request_id=handle.request_id, error=repr(exc))
            return False
        log.info("fal_request_cancelled", request_id=handle.request_id)
        return True

    def _image_urls(self, result: Any) -> list[str]:
        images = result.get("images") if isinstance(result, dict) else None
        if images is None and isinstance(result, dict) and isinstance(result.get("image"), dict):
            images = [result["image"]]  # one-image models (upscalers) answer with ``image``
        if not isinstance(images, list):
            raise ProviderUnavailable(self.name, "result has no images list")
        urls = [image.get("url") for image in images if isinstance(image, dict)]
        if not urls or not all(isinstance(url, str) for url in urls):
            raise ProviderUnavailable(self.name, "result images carry no URLs")
        return [str(url) for url in urls]

    def _failure(self, detail: str) -> ProviderError | ContentRefused:
        detail = detail.strip()[:300] or "request failed"
        if any(marker in detail.lower() for marker in REFUSAL_MARKERS):
            return ContentRefused(self.name, detail, reason="policy")
        return ProviderUnavailable(self.name, detail)

    def _http_error(self, exc: FalClientHTTPError) -> ProviderError | ContentRefused:
        status = exc.status_code
        detail = f"{status} {exc.error_type or ''} {exc.message}".strip()[:300]
        if status == 422:
            refused = any(marker in detail.lower() for marker in REFUSAL_MARKERS)
            return ContentRefused(
                self.name, detail, reason="policy" if refused else "invalid_input"
            )
        transient = status in (408, 409, 429) or status >= 500
        return ProviderUnavailable(
            self.name,
            detail,
            status_code=status,
            transient=transient,
            retry_after_s=retry_after_seconds(exc.response.headers.get("retry-after")),
        )

    def _network_error(self, what: str, exc: httpx.HTTPError) -> ProviderUnavailable:
        return ProviderUnavailable(
            self.name, f"{what} failed: {type(exc).__name__}", transient=True
        )
