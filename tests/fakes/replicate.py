"""A fake Replicate: the predictions HTTP API as the ``replicate`` client uses it.

``POST /v1/models/{owner}/{name}/predictions`` and ``POST /v1/predictions`` (by version)
create a prediction (201, status ``starting``); each ``GET /v1/predictions/{id}`` moves it
one step along :attr:`FakeReplicate.progress` (``processing`` → ``succeeded``, or ``failed``
with :attr:`FakeReplicate.final_error`); ``POST .../cancel`` cancels it; ``GET
/v1/predictions`` lists them, newest first. Outputs are URLs this server also serves.
Errors are answered the way Replicate does: problem details JSON (RFC 7807). Tests script
faults with the public attributes, and read every request in :attr:`FakeReplicate.log`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.images import png
from tests.fakes.recording import RequestLog

ASPECT_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
OUTPUT_FORMATS = ("webp", "jpg", "png")
FINISHED = ("succeeded", "failed", "canceled")


@dataclass
class Fault:
    """One scripted error answer: status, JSON body (or raw text), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if isinstance(self.body, str | bytes):
            return Response(self.body, self.status, self.headers, media_type="application/json")
        body = self.body or {"detail": f"fake error {self.status}", "status": self.status}
        return JSONResponse(body, self.status, self.headers)


@dataclass
class FakePrediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    status: str = "starting"
    error: str | None = None
    output: list[str] | None = None
    polls: int = 0
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


# nightmareai/real-esrgan's version: an upscaler, run by version (no prompt; image, scale).
REAL_ESRGAN_VERSION = "f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa"


def _validate_upscaler(inputs: dict[str, Any]) -> list[str]:
    problems = []
    image = inputs.get("image")
    if not (isinstance(image, str) and image.startswith(("data:", "http"))):
        problems.append("input.image: image is required")
    scale = inputs.get("scale", 4)
    if not isinstance(scale, int | float) or not 0 < scale <= 10:
        problems.append("input.scale: Must be less than or equal to 10")
    return problems


def _validate(inputs: Any, version: str = "") -> list[str]:
    """flux-dev-lora's input schema, as far as the bot uses it (real-esrgan's by version)."""
    if not isinstance(inputs, dict):
        return ["input: must be an object"]
    if version == REAL_ESRGAN_VERSION:
        return _validate_upscaler(inputs)
    problems = []
    if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"]:
        problems.append("input.prompt: prompt is required")
    if inputs.get("aspect_ratio", "1:1") not in ASPECT_RATIOS:
        problems.append(
            "input.aspect_ratio: aspect_ratio must be one of " + ", ".join(ASPECT_RATIOS)
        )
    num = inputs.get("num_outputs", 1)
    if not isinstance(num, int) or not 1 <= num <= 4:
        problems.append("input.num_outputs: Must be between 1 and 4")
    if inputs.get("output_format", "webp") not in OUTPUT_FORMATS:
        problems.append("input.output_format: output_format must be one of webp, jpg, png")
    if "seed" in inputs and not isinstance(inputs["seed"], int):
        problems.append("input.seed: Invalid type. Expected: integer")
    image = inputs.get("image")
    if image is not None and not (isinstance(image, str) and image.startswith(("data:", "http"))):
        problems.append("input.image: Does not match format 'uri'")
    strength = inputs.get("prompt_strength", 0.8)
    if not isinstance(strength, int | float) or not 0 <= strength <= 1:
        problems.append("input.prompt_strength: Must be between 0 and 1")
    return problems


class FakeReplicate:
    def __init__(self, token: str) -> None:
        self.token = token
        self.log = RequestLog()
        self.predictions: dict[str, FakePrediction] = {}
        # Scripted behaviour -------------------------------------------------------------
        self.create_faults: list[Fault] = []
        """Answers to the next creates, in order (the prediction is not made)."""
        self.create_delay_s = 0.0
        """Make the prediction, then wait this long before answering (a lost answer)."""
        self.create_garbage = False
        """Make the prediction, then answer 201 with a body that is not JSON."""
        self.poll_faults: list[Fault] = []
        self.cancel_faults: list[Fault] = []
        """Answers to the next GETs of a prediction, in order."""
        self.progress = ["processing", "succeeded"]
        """The status after each poll, from ``starting``; the last one stays."""
        self.final_error: str | None = None
        """Fail with this error where the script says ``succeeded``."""
        self.hang = False
        """Stay ``processing`` until cancelled."""
        self.outputs: Callable[[FakePrediction, int], bytes] = lambda prediction, index: png()
        self.output_content_type = "image/png"
        self.output_status = 200
        self.text_output: Callable[[FakePrediction], list[str]] | None = None
        """A language model's answer instead of image URLs: the tokens it streams."""
        self._released = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route(
                    "/v1/models/{owner}/{name}/predictions",
                    self._create_for_model,
                    methods=["POST"],
                ),
                Route("/v1/predictions", self._create_for_version, methods=["POST"]),
                Route("/v1/predictions", self._list, methods=["GET"]),
                Route("/v1/predictions/{id}", self._get, methods=["GET"]),
                Route("/v1/predictions/{id}/cancel", self._cancel, methods=["POST"]),
                Route("/files/{id}/{index:int}", self._file, methods=["GET"]),
            ]
        )
        self.base_url = ""

    def release(self) -> None:
        """End every scripted wait (at teardown)."""
        self._released.set()

    # Views for tests ------------------------------------------------------------------------

    def creates(self) -> list[Any]:
        return [
            r.json()
            for r in self.log.requests
            if r.method == "POST" and r.path.endswith("/predictions")
        ]

    def cancels(self) -> list[str]:
        return [r.path.split("/")[-2] for r in self.log.to("POST", "/cancel")]

    # Wire protocol --------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _unauthorized(self) -> Response:
        return JSONResponse(
            {
                "title": "Unauthenticated",
                "detail": "You did not pass a valid authentication token",
                "status": 401,
            },
            401,
        )

    def _json(self, prediction: FakePrediction, status_code: int = 200) -> Response:
        return JSONResponse(self._body(prediction), status_code)

    def _body(self, prediction: FakePrediction) -> dict[str, Any]:
        base = self.base_url
        return {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version,
            "input": prediction.input,
            "logs": "",
            "output": prediction.output,
            "data_removed": False,
            "error": prediction.error,
            "status": prediction.status,
            "source": "api",
            "created_at": prediction.created_at,
            "started_at": None if prediction.status == "starting" else prediction.created_at,
            "completed_at": _now() if prediction.status in FINISHED else None,
            "metrics": {"predict_time": 0.01} if prediction.status == "succeeded" else {},
            "urls": {
                "get": f"{base}/v1/predictions/{prediction.id}",
                "cancel": f"{base}/v1/predictions/{prediction.id}/cancel",
                "stream": f"{base}/v1/stream/{prediction.id}",
                "web": f"https://replicate.com/p/{prediction.id}",
            },
        }

    async def _create_for_model(self, request: Request) -> Response:
        owner, name = request.path_params["owner"], request.path_params["name"]
        return await self._create(request, lambda body: (f"{owner}/{name}", "f" * 64))

    async def _create_for_version(self, request: Request) -> Response:
        def model_and_version(body: dict[str, Any]) -> tuple[str, str]:
            model, _, version = str(body.get("version", "")).rpartition(":")
            return model or "fake/versioned", version

        return await self._create(request, model_and_version)

    async def _create(
        self, request: Request, identify: Callable[[dict[str, Any]], tuple[str, str]]
    ) -> Response:
        self.base_url = str(request.base_url).rstrip("/")
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.create_faults:
            return self.create_faults.pop(0).response()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "invalid JSON", "status": 400}, 400)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "body must be an object", "status": 400}, 400)
        model, version = identify(body)
        problems = _validate(body.get("input"), version)
        if problems:
            return JSONResponse(
                {
                    "detail": "\n".join(f"- {p}" for p in problems),
                    "status": 422,
                    "title": "Input validation failed",
                    "invalid_fields": [
                        {"type": "invalid", "field": p.split(":")[0], "description": p}
                        for p in problems
                    ],
                },
                422,
            )
        prediction = FakePrediction(secrets.token_hex(13), model, version, body["input"])
        self.predictions[prediction.id] = prediction
        if self.create_delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.create_delay_s)
        if self.create_garbage:
            return Response(
                b'{"id": "' + prediction.id.encode() + b'", "stat',
                201,
                media_type="application/json",
            )
        return self._json(prediction, 201)

    async def _list(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        newest_first = [self._body(p) for p in reversed(self.predictions.values())]
        return JSONResponse({"next": None, "previous": None, "results": newest_first})

    def _advance(self, prediction: FakePrediction) -> None:
        if prediction.status in FINISHED or self.hang:
            if self.hang and prediction.status not in FINISHED:
                prediction.status = "processing"
            return
        prediction.polls += 1
        status = self.progress[min(prediction.polls, len(self.progress)) - 1]
        if status == "succeeded" and self.final_error is not None:
            prediction.status, prediction.error = "failed", self.final_error
        elif status == "succeeded" and self.text_output is not None:
            prediction.output = self.text_output(prediction)
            prediction.status = "succeeded"
        elif status == "succeeded":
            count = int(prediction.input.get("num_outputs", 1))
            prediction.output = [f"{self.base_url}/files/{prediction.id}/{i}" for i in range(count)]
            prediction.status = "succeeded"
        else:
            prediction.status = status

    async def _get(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return JSONResponse({"detail": "Not found.", "status": 404}, 404)
        if self.poll_faults:
            return self.poll_faults.pop(0).response()
        self._advance(prediction)
        return self._json(prediction)

    async def _cancel(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return JSONResponse({"detail": "Not found.", "status": 404}, 404)
        if self.cancel_faults:
            return self.cancel_faults.pop(0).response()
        if prediction.status not in FINISHED:
            prediction.status = "canceled"
        return self._json(prediction)

    async def _file(self, request: Request) -> Response:
        await self.log.record(request)
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return Response(b"not found", 404)
        data = self.outputs(prediction, request.path_params["index"])
        return Response(data, self.output_status, media_type=self.output_content_type)
