"""A language model on Replicate (``meta/meta-llama-3-8b-instruct`` by default) through
the ``replicate`` client: create a prediction, poll it, join the tokens it streamed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from providers.errors import ProviderUnavailable
from providers.llm.base import PromptWriter

DEFAULT_MODEL = "meta/meta-llama-3-8b-instruct"
FINISHED = frozenset({"succeeded", "failed", "canceled"})
MAX_ANSWER_TOKENS = 300


@dataclass(frozen=True, slots=True)
class ReplicateChatConfig:
    api_token: str = field(repr=False)
    base_url: str = "https://api.replicate.com"
    model: str = DEFAULT_MODEL
    timeout_s: float = 10.0
    poll_interval_s: float = 0.5


class ReplicateChatWriter(PromptWriter):
    name = "replicate-llm"

    def __init__(self, config: ReplicateChatConfig) -> None:
        self._config = config
        self.model = config.model
        self._transport: httpx.AsyncHTTPTransport | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        if self._client is None:
            self._transport = httpx.AsyncHTTPTransport()
            self._client = Client(
                api_token=self._config.api_token,
                base_url=self._config.base_url,
                timeout=httpx.Timeout(self._config.timeout_s),
                transport=self._transport,
            )

    async def stop(self) -> None:
        self._client = None
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    async def write(self, system: str, prompt: str) -> str:
        client = self._client
        if client is None:
            raise RuntimeError("ReplicateChatWriter used before start()")
        inputs = {"prompt": prompt, "system_prompt": system, "max_tokens": MAX_ANSWER_TOKENS}
        prediction: Prediction | None = None
        try:
            prediction = await client.models.predictions.async_create(
                model=self._config.model, input=inputs
            )
            while prediction.status not in FINISHED:
                await asyncio.sleep(self._config.poll_interval_s)
                prediction = await client.predictions.async_get(prediction.id)
        except asyncio.CancelledError:  # the caller's time limit: stop paying for it
            if prediction is not None:
                await self._cancel(client, prediction.id)
            raise
        except (ReplicateError, httpx.HTTPError, ValueError, TypeError) as exc:
            raise ProviderUnavailable(self.name, type(exc).__name__) from exc
        if prediction.status != "succeeded":
            raise ProviderUnavailable(self.name, f"prediction {prediction.status}")
        output = prediction.output
        text = "".join(output) if isinstance(output, list) else output
        if not isinstance(text, str) or not text.strip():
            raise ProviderUnavailable(self.name, "the answer was empty")
        return text.strip()

    @staticmethod
    async def _cancel(client: Client, prediction_id: str) -> None:
        try:
            async with asyncio.timeout(2.0):
                await client.predictions.async_cancel(prediction_id)
        except (ReplicateError, httpx.HTTPError, ValueError, TypeError, TimeoutError):
            pass  # best effort: it finishes by itself in seconds
