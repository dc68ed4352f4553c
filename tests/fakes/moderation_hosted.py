"""Fake hosted moderation classifiers, speaking their wire protocols over real HTTP.

``FakeOpenAIModeration``: OpenAI's ``POST /v1/moderations`` (bearer key required; a
``model`` and an ``input`` string or list of strings; one result per input with all 13
omni-moderation categories, flags and scores). ``FakeLlamaGuard``: an OpenAI-compatible
``POST /v1/chat/completions`` serving Llama Guard 3 the way vLLM does (the bearer key when
one is set; the served model's name must match; the answer's content is ``safe`` or
``unsafe\\n<codes>``, after the two newlines Llama Guard 3 starts with).

Tests script verdicts (``flags``, ``unsafe``: a substring of the text and what it
triggers) and faults (``faults``: answers to the next calls; ``delay_s``: hold each answer
until released; ``garbage``: a 200 whose body is not the protocol's), and read every
request in ``log``. ``serving(fake)`` serves one on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestrator.serving.server import serve_in_background
from tests.fakes.recording import RecordedRequest, RequestLog
from tests.fakes.replicate import Fault

OPENAI_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
OPENAI_MODELS = ("omni-moderation-latest", "omni-moderation-2024-09-26", "text-moderation-latest")


def openai_error(status: int, message: str, code: str | None = None) -> Fault:
    """An error answer shaped as OpenAI's: ``{"error": {"message", "type", ...}}``."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return Fault(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


class FakeClassifierService:
    path = ""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.log = RequestLog()
        self.faults: list[Fault] = []
        """Answers to the next calls, in order (after the key is checked)."""
        self.delay_s = 0.0
        """Hold each answer this long, or until ``release()`` (a service that hangs)."""
        self.garbage: bytes | None = None
        """Answer 200 with this body instead of a verdict."""
        self._released = asyncio.Event()
        self.app = Starlette(routes=[Route(self.path, self._call, methods=["POST"])])

    def release(self) -> None:
        self._released.set()

    def calls(self) -> list[RecordedRequest]:
        return self.log.to("POST", self.path)

    def _unauthorized(self) -> Response:
        return openai_error(401, "Incorrect API key provided", "invalid_api_key").response()

    def _answer(self, body: dict[str, Any]) -> Response:
        raise NotImplementedError

    async def _call(self, request: Request) -> Response:
        await self.log.record(request)
        if self.key is not None and request.headers.get("authorization") != f"Bearer {self.key}":
            return self._unauthorized()
        if self.faults:
            return self.faults.pop(0).response()
        if self.delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.delay_s)
        if self.garbage is not None:
            return Response(self.garbage, 200, media_type="application/json")
        try:
            body = await request.json()
        except ValueError:
            return openai_error(400, "We could not parse the JSON body of your request.").response()
        if not isinstance(body, dict):
            return openai_error(400, "The body must be a JSON object.").response()
        return self._answer(body)


class FakeOpenAIModeration(FakeClassifierService):
    path = "/v1/moderations"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.flags: dict[str, tuple[str, ...]] = {}
        """A substring of the input -> the OpenAI categories it flags."""

    def _answer(self, body: dict[str, Any]) -> Response:
        model = body.get("model", "omni-moderation-latest")
        if model not in OPENAI_MODELS:
            return openai_error(400, f"Invalid model: {model}", "model_not_found").response()
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(i, str) for i in inputs)
        ):
            return openai_error(400, "'input' must be a string or a list of strings").response()
        return JSONResponse(
            {
                "id": f"modr-{secrets.token_hex(12)}",
                "model": "omni-moderation-2024-09-26",
                "results": [self._result(text) for text in inputs],
            }
        )

    def _result(self, text: str) -> dict[str, Any]:
        flagged = {name for needle, names in self.flags.items() if needle in text for name in names}
        return {
            "flagged": bool(flagged),
            "categories": {name: name in flagged for name in OPENAI_CATEGORIES},
            "category_scores": {
                name: 0.97 if name in flagged else 0.0004 for name in OPENAI_CATEGORIES
            },
            "category_applied_input_types": {name: ["text"] for name in OPENAI_CATEGORIES},
        }


class FakeLlamaGuard(FakeClassifierService):
    path = "/v1/chat/completions"

    def __init__(self, model: str, key: str | None = None) -> None:
        super().__init__(key)
        self.model = model
        self.unsafe: dict[str, str] = {}
        """A substring of the user's message -> the hazard codes answered ("S1,S4")."""
        self.reply: str | None = None
        """The model's answer, whatever the message (for answers that are not a verdict)."""

    def _unauthorized(self) -> Response:
        return JSONResponse({"error": "Unauthorized"}, 401)  # vLLM's --api-key answer

    def _answer(self, body: dict[str, Any]) -> Response:
        if body.get("model") != self.model:
            return JSONResponse(
                {
                    "object": "error",
                    "message": f"The model `{body.get('model')}` does not exist.",
                    "type": "NotFoundError",
                    "param": None,
                    "code": 404,
                },
                404,
            )
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages)
            or messages[-1].get("role") != "user"
        ):
            return openai_error(400, "messages must end with a user message").response()
        text = messages[-1]["content"]
        codes = next((codes for needle, codes in self.unsafe.items() if needle in text), None)
        content = (
            self.reply
            if self.reply is not None
            else ("\n\nsafe" if codes is None else f"\n\nunsafe\n{codes}")
        )
        return JSONResponse(
            {
                "id": f"chatcmpl-{secrets.token_hex(12)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "tool_calls": []},
                        "logprobs": None,
                        "finish_reason": "stop",
                        "stop_reason": None,
                    }
                ],
                "usage": {"prompt_tokens": 220, "total_tokens": 225, "completion_tokens": 5},
            }
        )


@contextlib.asynccontextmanager
async def serving(fake: FakeClassifierService) -> AsyncIterator[str]:
    """``fake`` served on loopback until the block exits; yields its base URL."""
    async with serve_in_background(fake.app) as url:
        try:
            yield url
        finally:
            fake.release()  # no held answer keeps the server from stopping
