"""The fake Replicate with faults scripted per prompt, so that a soak knows in advance
which of its many concurrent jobs meets which fault (the fake's own faults are global).

A marker word in the prompt picks the behaviour:

- ``flaky``: the first create of that prompt answers 503 (the provider retries it);
- ``slow``: the prediction stays ``processing`` for :data:`SLOW_POLLS` polls, then succeeds;
- ``stuck``: it stays ``processing`` until cancelled (the job's timeout ends it);
- ``refused``: it fails as Replicate does for a safety-filtered prompt;
- ``fragile``: it succeeds with an output that is not an image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.images import png
from tests.fakes.replicate import FINISHED, FakePrediction, FakeReplicate, Fault

SLOW_POLLS = 12
PROVIDER_FAULTS = ("flaky", "slow", "stuck", "refused", "fragile")
FAILING = {"stuck": "failed_timeout", "refused": "failed_refused", "fragile": "failed_output"}
"""The provider faults a job does not survive, and the text its user gets."""


def marker(prompt: str) -> str | None:
    return next((word for word in PROVIDER_FAULTS if word in prompt.split()), None)


def _prompt(prediction: FakePrediction) -> str:
    return str(prediction.input.get("prompt", ""))


class ScriptedReplicate(FakeReplicate):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.flaked: set[str] = set()
        self.outputs = self._output

    @staticmethod
    def _output(prediction: FakePrediction, index: int) -> bytes:
        if marker(_prompt(prediction)) == "fragile":
            return b"<html>not an image</html>"
        return png()

    async def _create(
        self, request: Request, identify: Callable[[dict[str, Any]], tuple[str, str]]
    ) -> Response:
        body = await request.json()  # Starlette keeps it: the fake reads it again
        prompt = str(body.get("input", {}).get("prompt", "")) if isinstance(body, dict) else ""
        if marker(prompt) == "flaky" and prompt not in self.flaked:
            self.flaked.add(prompt)
            await self.log.record(request)
            return Fault(503).response()
        return await super()._create(request, identify)

    def _advance(self, prediction: FakePrediction) -> None:
        kind = marker(_prompt(prediction))
        if prediction.status in FINISHED:
            return
        if kind == "stuck" or (kind == "slow" and prediction.polls < SLOW_POLLS):
            prediction.polls += 1
            prediction.status = "processing"
        elif kind == "refused":
            prediction.status, prediction.error = "failed", "NSFW content detected"
        else:
            super()._advance(prediction)
