"""Any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama, OpenRouter...)
through the official ``openai`` client."""

from __future__ import annotations

from dataclasses import dataclass, field

import openai
from openai import AsyncOpenAI

from providers.errors import ProviderTimeout, ProviderUnavailable
from providers.llm.base import PromptWriter

MAX_ANSWER_TOKENS = 300


@dataclass(frozen=True, slots=True)
class ChatConfig:
    base_url: str
    model: str
    api_key: str = field(default="none", repr=False)  # local servers often need none
    timeout_s: float = 10.0


class OpenAIChatWriter(PromptWriter):
    name = "openai-chat"

    def __init__(self, config: ChatConfig) -> None:
        self._config = config
        self.model = config.model
        self._client: AsyncOpenAI | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = AsyncOpenAI(
                api_key=self._config.api_key,
                base_url=self._config.base_url,
                timeout=self._config.timeout_s,
                max_retries=0,  # the caller falls back instead of waiting longer
            )

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def write(self, system: str, prompt: str) -> str:
        if self._client is None:
            raise RuntimeError("OpenAIChatWriter used before start()")
        try:
            completion = await self._client.chat.completions.create(
                model=self._config.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=MAX_ANSWER_TOKENS,
                temperature=0.7,
            )
        except openai.APITimeoutError as exc:
            raise ProviderTimeout(self.name, self._config.timeout_s) from exc
        except openai.APIStatusError as exc:
            raise ProviderUnavailable(
                self.name, f"{exc.status_code} {type(exc).__name__}", status_code=exc.status_code
            ) from exc
        except (openai.APIError, ValueError, TypeError) as exc:  # no connection, unreadable
            raise ProviderUnavailable(self.name, type(exc).__name__) from exc
        choices = completion.choices or []
        content = choices[0].message.content if choices else None
        if not content or not content.strip():
            raise ProviderUnavailable(self.name, "the answer was empty")
        return content.strip()
