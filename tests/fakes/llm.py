"""A fake OpenAI-compatible chat completions service that writes prompts: the wire
protocol of ``POST /v1/chat/completions`` (see ``FakeLlamaGuard``), answering each user
message with ``rewrite(message)``. Faults, delays and garbage as its base class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from tests.fakes.moderation_hosted import FakeLlamaGuard

LLM_MODEL = "prompt-writer-1"
LLM_KEY = "sk-test-llm-key-0123456789"


def detailed(prompt: str) -> str:
    return f"{prompt}, golden hour light, 35mm photograph, shallow depth of field"


class FakeChatLLM(FakeLlamaGuard):
    def __init__(self, model: str = LLM_MODEL, key: str | None = LLM_KEY) -> None:
        super().__init__(model, key)
        self.rewrite: Callable[[str], str] = detailed

    def _answer(self, body: dict[str, Any]) -> Response:
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            self.reply = self.rewrite(str(messages[-1].get("content", "")))
        return super()._answer(body)

    def prompts(self) -> list[str]:
        """The user messages asked about, in order."""
        return [str(call.json()["messages"][-1]["content"]) for call in self.calls()]

    def systems(self) -> list[str]:
        return [str(call.json()["messages"][0]["content"]) for call in self.calls()]
