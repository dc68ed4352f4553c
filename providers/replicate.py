"""Replicate (FLUX-LoRA by default) through the ``replicate`` client: create a prediction,
poll it until it finishes, download its outputs; cancel it when the caller gives up.

A create that failed before the request could reach Replicate, or that Replicate answered
with 429/5xx, is retried. A create whose answer was lost (read timeout, broken body) may
have made a prediction, so it is never simply repeated: the recent predictions are listed,
and one with exactly our input (each carries a fresh random seed) is adopted.
"""

from __future__ import annotations

import asyncio
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.pagination import Page
from replicate.prediction import Prediction

from fulmine.errors import InvalidInput, request_never_left
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.errors import ContentRefused, ProviderError, ProviderUnavailable
from providers.media import OutputFetcher, to_data_uri
from providers.retrying import RetryPolicy, retry_after_seconds, with_retries

log = structlog.get_logger(__name__)

DEFAULT_MODEL = "black-forest-labs/flux-dev-lora"
FINISHED = frozenset({"succeeded", "failed", "canceled"})
REFUSAL_MARKERS = ("nsfw", "safety", "content policy", "flagged", "sensitive")
CANCEL_LIMIT_S = 5.0
MAX_SEED = 2**31 - 1

# Replicate's client drops response headers when it raises; a response hook keeps the last
# Retry-After for the task that made the request.
_retry_after: ContextVar[str | None] = ContextVar("replicate_retry_after", default=None)


async def _remember_retry_after(response: httpx.Response) -> None:
    _retry_after.set(response.headers.get("retry-after"))


@dataclass(frozen=True, slots=True)
class ReplicateConfig:
    api_token: str = field(repr=False)
    base_url: str = "https://api.replicate.com"
    model: str = DEFAULT_MODEL
    """``owner/name`` (the model's latest version) or ``owner/name:version``."""
    lora: str | None = None
    """``lora_weights``: a Replicate model, Hugging Face or Civitai reference, or a URL."""
    lora_scale: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    """Default inputs of every prediction (a request's own values win)."""
    output_format: str = "png"
    request_timeout_s: float = 20.0
    poll_interval_s: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class ReplicateProvider(ImageProvider):
    name = "replicate"

    def __init__(self, config: ReplicateConfig) -> None:
        self._config = config
        self._model, _, self._version = config.model.partition(":")
        self._outputs = OutputFetcher(self.name, config.retry, config.request_timeout_s)
        self._transport: httpx.AsyncHTTPTransport | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        if self._client is not None:
            return
        self._transport = httpx.AsyncHTTPTransport()
        self._client = Client(
            api_token=self._config.api_token,
            base_url=self._config.base_url,
            timeout=httpx.Timeout(self._config.request_timeout_s),
            transport=self._transport,
            event_hooks={"response": [_remember_retry_after]},
        )
        await self._outputs.start()

    async def stop(self) -> None:
        if self._client is None:
            return
        self._client = None
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None
        await self._outputs.stop()

    async def ready(self) -> bool:
        """Started with a token (a call is the only full check, and it costs money)."""
        return self._client is not None and bool(self._config.api_token.strip())

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        return await self._run(self._inputs(request))

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        if request.input_image is None:
            raise InvalidInput(self.name, "edit needs an input image")
        # FLUX img2img: the output follows the input image's aspect ratio.
        inputs = self._inputs(request)
        inputs["image"] = await asyncio.to_thread(to_data_uri, request.input_image)
        return await self._run(inputs)

    async def vary(self, request: ImageRequest) -> list[ProviderImage]:
        """FLUX image-to-image: ``image`` and ``prompt_strength`` beside the prompt."""
        if request.input_image is None:
            raise InvalidInput(self.name, "a variation needs an input image")
        inputs = self._inputs(request)
        inputs["image"] = await asyncio.to_thread(to_data_uri, request.input_image)
        inputs["prompt_strength"] = request.strength
        return await self._run(inputs)

    async def upscale(self, request: ImageRequest) -> list[ProviderImage]:
        """Real-ESRGAN and the like: ``image`` in (``scale`` from the params), one URL out."""
        if request.input_image is None:
            raise InvalidInput(self.name, "upscale needs an input image")
        inputs = {"scale": 2, **self._config.params}
        inputs["image"] = await asyncio.to_thread(to_data_uri, request.input_image)
        return await self._run(inputs)

    def _inputs(self, request: ImageRequest) -> dict[str, Any]:
        seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED)
        inputs: dict[str, Any] = {
            **self._config.params,
            "prompt": request.prompt,
            "aspect_ratio": request.aspect_ratio,
            "num_outputs": request.num_images,
            "output_format": self._config.output_format,
            "seed": seed,
        }
        if request.lora:
            inputs["lora_weights"] = request.lora
            inputs["lora_scale"] = request.lora_scale
        elif self._config.lora:
            inputs["lora_weights"] = self._config.lora
            inputs["lora_scale"] = self._config.lora_scale
        return inputs

    @property
    def _api(self) -> Client:
        if self._client is None:
            raise RuntimeError("ReplicateProvider used before start()")
        return self._client

    async def _run(self, inputs: dict[str, Any]) -> list[ProviderImage]:
        policy = self._config.retry
        try:
            prediction = await with_retries(lambda: self._create(inputs), policy, "create")
        except asyncio.CancelledError:  # given up on mid-create: it may have got through
            await self._cancel_if_created(inputs)
            raise
        log.info("replicate_prediction_created", prediction_id=prediction.id)
        try:
            prediction = await self._wait(prediction, policy)
        except asyncio.CancelledError:  # the caller's time limit, or shutdown
            await self._cancel(prediction.id)
            raise
        except ProviderUnavailable as exc:  # lost track of it: stop it before giving up
            stopped = await self._cancel(prediction.id)
            raise ProviderUnavailable(
                self.name, exc.detail, status_code=exc.status_code, may_still_run=not stopped
            ) from exc
        return await self._outputs.fetch_all(self._finished_outputs(prediction))

    async def _create(self, inputs: dict[str, Any]) -> Prediction:
        _retry_after.set(None)
        try:
            # The client sends a create with no time limit of its own.
            async with asyncio.timeout(self._config.request_timeout_s):
                created: Prediction
                if self._version:
                    created = await self._api.predictions.async_create(
                        version=self._version, input=inputs
                    )
                else:
                    created = await self._api.models.predictions.async_create(
                        model=self._model, input=inputs
                    )
            return created
        except ReplicateError as exc:  # Replicate answered with an error: nothing was made
            raise self._api_error(exc) from exc
        except (httpx.HTTPError, TimeoutError) as exc:
            if isinstance(exc, httpx.HTTPError) and request_never_left(exc):
                raise self._network_error("create", exc) from exc
            found = await self._find_created(inputs)
            if found is None:  # certainly nothing was made: safe to try again
                raise ProviderUnavailable(
                    self.name, f"create got no answer: {type(exc).__name__}", transient=True
                ) from exc
            return found
        except (ValueError, TypeError) as exc:  # a 2xx whose body we cannot read
            found = await self._find_created(inputs)
            if found is None:
                raise ProviderUnavailable(
                    self.name, "create answered with an unreadable body", may_still_run=True
                ) from exc
            return found

    async def _find_created(self, inputs: dict[str, Any]) -> Prediction | None:
        """The prediction an unanswered create made, if it made one."""
        try:
            page = await with_retries(self._list_recent, self._config.retry, "find created")
        except (ProviderError, ContentRefused) as exc:
            raise ProviderUnavailable(
                self.name, "cannot tell whether a prediction was created", may_still_run=True
            ) from exc
        for prediction in page:
            same_model = prediction.model == self._model or prediction.version == self._version
            if same_model and prediction.input == inputs:
                log.info("replicate_prediction_recovered", prediction_id=prediction.id)
                return prediction
        return None

    async def _cancel_if_created(self, inputs: dict[str, Any]) -> None:
        try:
            async with asyncio.timeout(CANCEL_LIMIT_S):
                found = await self._find_created(inputs)
        except (ProviderError, ContentRefused, TimeoutError) as exc:
            log.warning("replicate_orphan_unknown", error=repr(exc))
            return
        if found is not None:
            await self._cancel(found.id)

    async def _list_recent(self) -> list[Prediction]:
        page: Page[Prediction] = await self._call(self._api.predictions.async_list(), "list")
        return list(page.results)

    async def _wait(self, prediction: Prediction, policy: RetryPolicy) -> Prediction:
        prediction_id = prediction.id
        while prediction.status not in FINISHED:
            await asyncio.sleep(self._config.poll_interval_s)
            prediction = await with_retries(
                lambda: self._call(self._api.predictions.async_get(prediction_id), "poll"),
                policy,
                "poll",
            )
        return prediction

    async def _call(self, request: Any, what: str) -> Any:
        """Await an idempotent request (a GET), mapping every failure to a retryable error."""
        _retry_after.set(None)
        try:
            return await request
        except ReplicateError as exc:
            raise self._api_error(exc) from exc
        except httpx.HTTPError as exc:
            raise self._network_error(what, exc) from exc
        except (ValueError, TypeError) as exc:
            raise ProviderUnavailable(
                self.name, f"{what} answered with an unreadable body", transient=True
            ) from exc

    async def _cancel(self, prediction_id: str) -> bool:
        """Ask Replicate to stop the prediction; True when it accepted."""
        try:
            async with asyncio.timeout(CANCEL_LIMIT_S):
                await self._api.predictions.async_cancel(prediction_id)
        except (ReplicateError, httpx.HTTPError, ValueError, TypeError, TimeoutError) as exc:
            log.warning("replicate_cancel_failed", prediction_id=prediction_id, error=repr(exc))
            return False
        log.info("replicate_prediction_cancelled", prediction_id=prediction_id)
        return True

    def _finished_outputs(self, prediction: Prediction) -> list[str]:
        if prediction.status == "succeeded":
            output = prediction.output
            if isinstance(output, str):
                return [output]
            if isinstance(output, list) and all(isinstance(item, str) for item in output):
                return output
            raise ProviderUnavailable(self.name, "prediction succeeded without image URLs")
        if prediction.status == "canceled":
            raise ProviderUnavailable(self.name, "prediction was canceled")
        error = str(prediction.error or "prediction failed")[:300]
        if any(marker in error.lower() for marker in REFUSAL_MARKERS):
            raise ContentRefused(self.name, error, reason="policy")
        raise ProviderUnavailable(self.name, f"prediction failed: {error}")

    def _api_error(self, exc: ReplicateError) -> ProviderError | ContentRefused:
        status = exc.status or 0
        detail = f"{status} {exc.title or ''} {exc.detail or ''}".strip()[:300]
        if status == 422:
            return ContentRefused(self.name, detail, reason="invalid_input")
        transient = status == 429 or status >= 500
        retry_after = retry_after_seconds(_retry_after.get()) if status == 429 else None
        return ProviderUnavailable(
            self.name, detail, status_code=status, transient=transient, retry_after_s=retry_after
        )

    def _network_error(self, what: str, exc: httpx.HTTPError) -> ProviderUnavailable:
        return ProviderUnavailable(
            self.name, f"{what} failed: {type(exc).__name__}", transient=True
        )
