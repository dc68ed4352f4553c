"""A fake fal.ai queue: the HTTP API ``fal-client`` speaks, served over TLS.

``POST /{owner}/{app}[/{path}]`` queues a request and answers its ``request_id`` and the
``status_url``/``response_url``/``cancel_url``; each ``GET .../requests/{id}/status`` moves it
one step: ``IN_QUEUE`` (with ``queue_position`` counting down from
:attr:`FakeFal.queue_positions`), ``IN_PROGRESS``, ``COMPLETED``; ``GET .../requests/{id}``
answers the result (``images[].url``, served here too) or the app's error (422 with
``detail``); ``PUT .../requests/{id}/cancel`` cancels. Tests script faults with the public
attributes and read every request in :attr:`FakeFal.log`.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from tests.fakes.replicate import Fault

OUTPUT_FORMATS = ("jpeg", "png", "webp")
IMAGE_SIZES = (
    "square_hd",
    "square",
    "portrait_4_3",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_16_9",
)


@dataclass
class FakeFalRequest:
    id: str
    app: str
    path: str
    arguments: dict[str, Any]
    positions: list[int]
    in_progress_polls: int
    status: str = "IN_QUEUE"
    cancelled: bool = False
    statuses_seen: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"{self.app}/{self.path}" if self.path else self.app


def _detail(field_name: str, message: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": ["body", field_name], "msg": message, "type": kind}


UPSCALERS = ("fal-ai/esrgan",)  # one image in (image_url), one out (image.url)


def _validate_upscaler(arguments: dict[str, Any]) -> list[dict[str, Any]]:
    problems = []
    url = arguments.get("image_url")
    if not (isinstance(url, str) and url.startswith(("data:", "https://"))):
        problems.append(_detail("image_url", "field required", "missing"))
    scale = arguments.get("scale", 2)
    if not isinstance(scale, int | float) or not 1 <= scale <= 8:
        problems.append(_detail("scale", "ensure this value is between 1 and 8"))
    return problems


def _validate(endpoint: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    if endpoint.endswith(UPSCALERS):
        return _validate_upscaler(arguments)
    problems = []
    if not isinstance(arguments.get("prompt"), str) or not arguments["prompt"]:
        problems.append(_detail("prompt", "field required", "missing"))
    num = arguments.get("num_images", 1)
    if not isinstance(num, int) or not 1 <= num <= 4:
        problems.append(_detail("num_images", "ensure this value is between 1 and 4"))
    if arguments.get("output_format", "jpeg") not in OUTPUT_FORMATS:
        problems.append(_detail("output_format", "unexpected value"))
    if endpoint.endswith("/edit"):
        urls = arguments.get("image_urls")
        if not isinstance(urls, list) or not urls:
            problems.append(_detail("image_urls", "field required", "missing"))
        elif not all(isinstance(u, str) and u.startswith(("data:", "https://")) for u in urls):
            problems.append(_detail("image_urls", "invalid or missing URL scheme"))
    size = arguments.get("image_size")
    sized = isinstance(size, dict) and {"width", "height"} <= set(size)
    if size is not None and size not in IMAGE_SIZES and not sized:
        problems.append(_detail("image_size", "unexpected value"))
    return problems


class FakeFal:
    def __init__(self, key: str) -> None:
        self.key = key
        self.log = RequestLog()
        self.queued: dict[str, FakeFalRequest] = {}
        # Scripted behaviour -------------------------------------------------------------
        self.submit_faults: list[Fault] = []
        """Answers to the next submits, in order (nothing is queued)."""
        self.submit_delay_s = 0.0
        """Queue the request, then wait this long before answering (a lost answer)."""
        self.status_faults: list[Fault] = []
        self.result_faults: list[Fault] = []
        self.queue_positions = [1, 0]
        """The ``queue_position`` of each ``IN_QUEUE`` status answered, in order."""
        self.in_progress_polls = 1
        self.hang = False
        """Stay ``IN_PROGRESS`` until cancelled."""
        self.app_error: dict[str, Any] | None = None
        """The result is this 422 ``detail`` item instead of images (the app refused)."""
        self.outputs: Callable[[FakeFalRequest, int], bytes] = lambda request, index: png()
        self.output_content_type = "image/png"
        self.base_url = ""
        self._released = asyncio.Event()
        requests = "/{owner}/{alias}/requests/{id}"
        self.app = Starlette(
            routes=[
                Route("/files/{id}/{index:int}", self._file, methods=["GET"]),
                Route(requests + "/status", self._status, methods=["GET"]),
                Route(requests + "/cancel", self._cancel, methods=["PUT"]),
                Route(requests, self._result, methods=["GET"]),
                Route("/{endpoint:path}", self._submit, methods=["POST"]),
            ]
        )

    def release(self) -> None:
        """End every scripted wait (at teardown)."""
        self._released.set()

    def submits(self) -> list[Any]:
        return [r.json() for r in self.log.requests if r.method == "POST"]

    def cancels(self) -> list[str]:
        return [r.path.split("/")[-2] for r in self.log.to("PUT", "/cancel")]

    # Wire protocol --------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Key {self.key}"

    def _unauthorized(self) -> Response:
        return JSONResponse({"detail": "No user found for Key ID and Secret"}, 401)

    def _urls(self, queued: FakeFalRequest) -> dict[str, str]:
        base = f"{self.base_url}/{queued.app}/requests/{queued.id}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    async def _submit(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.submit_faults:
            return self.submit_faults.pop(0).response()
        parts = request.path_params["endpoint"].strip("/").split("/")
        if len(parts) < 2:
            return JSONResponse({"detail": "Application not found"}, 404)
        try:
            arguments = await request.json()
        except ValueError:
            return JSONResponse({"detail": "invalid JSON"}, 400)
        queued = FakeFalRequest(
            id=secrets.token_hex(16),
            app="/".join(parts[:2]),
            path="/".join(parts[2:]),
            arguments=arguments,
            positions=list(self.queue_positions),
            in_progress_polls=self.in_progress_polls,
        )
        self.queued[queued.id] = queued
        if self.submit_delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.submit_delay_s)
        position = queued.positions[0] if queued.positions else 0
        return JSONResponse(
            {"status": "IN_QUEUE", "request_id": queued.id, "queue_position": position}
            | self._urls(queued)
        )

    def _find(self, request: Request) -> FakeFalRequest | None:
        queued = self.queued.get(request.path_params["id"])
        app = f"{request.path_params['owner']}/{request.path_params['alias']}"
        return queued if queued is not None and queued.app == app else None

    def _advance(self, queued: FakeFalRequest) -> dict[str, Any]:
        if queued.status == "IN_QUEUE" and queued.positions:
            body: dict[str, Any] = {"status": "IN_QUEUE", "queue_position": queued.positions.pop(0)}
        elif queued.status != "COMPLETED" and (self.hang or queued.in_progress_polls > 0):
            queued.status = "IN_PROGRESS"
            queued.in_progress_polls -= 1
            body = {"status": "IN_PROGRESS", "logs": None}
        else:
            queued.status = "COMPLETED"
            body = {"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 0.01}}
        queued.statuses_seen.append(body["status"])
        return body | {"response_url": self._urls(queued)["response_url"]}

    async def _status(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        queued = self._find(request)
        if queued is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        if self.status_faults:
            return self.status_faults.pop(0).response()
        return JSONResponse(self._advance(queued), 200 if queued.status == "COMPLETED" else 202)

    async def _result(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        queued = self._find(request)
        if queued is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        if queued.status != "COMPLETED":
            return JSONResponse({"detail": "Request is still in progress"}, 400)
        if self.result_faults:
            return self.result_faults.pop(0).response()
        problems = _validate(queued.endpoint, queued.arguments)
        if self.app_error is not None:
            problems = [self.app_error]
        if problems:
            return JSONResponse({"detail": problems}, 422)
        if queued.endpoint.endswith(UPSCALERS):
            url = f"{self.base_url}/files/{queued.id}/0"
            return JSONResponse({"image": {"url": url, "content_type": "image/png"}})
        count = int(queued.arguments.get("num_images", 1))
        images = [
            {"url": f"{self.base_url}/files/{queued.id}/{i}", "content_type": "image/png"}
            for i in range(count)
        ]
        return JSONResponse({"images": images, "description": ""})

    async def _cancel(self, request: Request) -> Response:
        await self.log.record(request)
        if not self._authorized(request):
            return self._unauthorized()
        queued = self._find(request)
        if queued is None:
            return JSONResponse({"detail": "Request not found"}, 404)
        if queued.status == "COMPLETED":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)
        queued.cancelled = True
        queued.status = "COMPLETED"
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)

    async def _file(self, request: Request) -> Response:
        await self.log.record(request)
        queued = self.queued.get(request.path_params["id"])
        if queued is None:
            return Response(b"not found", 404)
        data = self.outputs(queued, request.path_params["index"])
        return Response(data, media_type=self.output_content_type)
