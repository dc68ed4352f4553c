"""The GPU server's HTTP API (FastAPI; OpenAPI at ``/docs`` and ``/openapi.json``).

- ``POST /v1/generate``, ``POST /v1/edit``: bearer token (``GPU_SERVER_TOKEN``) required,
  compared in constant time. 503 with ``Retry-After`` while the models load or when the
  queue is full; 404 for a LoRA or model this server does not have; 422 for bad input.
- ``GET /health``: the process is up (200 even while loading; 500 if loading failed).
- ``GET /ready``: 200 when the models are loaded, else 503; both carry the load
  (queue depth, running images) that the ``gpu`` provider uses to pick a server.
- ``GET /metrics``: Prometheus text.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
import torch
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gpu_server.errors import (
    BadInputImage,
    BadSize,
    LoraLoadFailed,
    ModelMissing,
    NotReady,
    QueueFull,
    ServerStopping,
    UnknownLora,
)
from gpu_server.schemas import (
    EditRequest,
    ErrorBody,
    GenerateRequest,
    ImagesResponse,
    ServerLoad,
)
from gpu_server.service import GpuService, Preloaded
from gpu_server.settings import GpuServerSettings

log = structlog.get_logger(__name__)
bearer = HTTPBearer(auto_error=False, description="GPU_SERVER_TOKEN")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "missing or wrong bearer token",
        404: "unknown LoRA, or no model of this kind on this server",
        413: "request body too large",
        422: "invalid request or input image",
        503: "models loading, queue full or out of GPU memory: retry after Retry-After",
    }.items()
}


def create_app(
    config: GpuServerSettings,
    preloaded: Preloaded | None = None,
    on_fatal: Callable[[str], None] = lambda _: None,
) -> FastAPI:
    service = GpuService(config, preloaded, on_fatal)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="Fulmine GPU server",
        version="1",
        summary="FLUX generation and FLUX Kontext edits, batched on one GPU",
        lifespan=lifespan,
    )
    app.state.service = service
    expected = config.token.encode()

    def authorize(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
            )

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length", "")
        if (
            declared.isascii()
            and declared.isdigit()
            and int(declared) > config.max_input_bytes * 4 // 3 + 65536
        ):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        return await call_next(request)

    async def answer(endpoint: str, work: Awaitable[ImagesResponse]) -> ImagesResponse:
        try:
            result = await work
        except HTTPException as exc:
            service.metrics.requests.labels(endpoint, str(exc.status_code)).inc()
            raise
        except Exception:
            service.metrics.requests.labels(endpoint, "500").inc()
            raise
        service.metrics.requests.labels(endpoint, "200").inc()
        return result

    @app.post(
        "/v1/generate",
        response_model=ImagesResponse,
        responses=ERRORS,
        dependencies=[Depends(authorize)],
        summary="Make images from a prompt (FLUX, optionally with a LoRA)",
    )
    async def generate(body: GenerateRequest) -> ImagesResponse:
        return await answer("generate", _mapped(service, service.generate(body)))

    @app.post(
        "/v1/edit",
        response_model=ImagesResponse,
        responses=ERRORS,
        dependencies=[Depends(authorize)],
        summary="Edit an image following an instruction (FLUX Kontext)",
    )
    async def edit(body: EditRequest) -> ImagesResponse:
        return await answer("edit", _mapped(service, service.edit(body)))

    @app.get("/health", response_model=ServerLoad, summary="Liveness")
    async def health(response: Response) -> ServerLoad:
        load = service.load()
        if service.state == "failed":
            response.status_code = 500
        return load

    @app.get("/ready", response_model=ServerLoad, summary="Readiness and load")
    async def ready(response: Response) -> ServerLoad:
        load = service.load()
        if not load.ready:
            response.status_code = 503
        return load

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        body = generate_latest(service.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app


async def _mapped(service: GpuService, work: Awaitable[ImagesResponse]) -> ImagesResponse:
    """The service's errors as HTTP answers."""
    try:
        return await work
    except (NotReady, ServerStopping) as exc:
        raise _unavailable(str(exc), service.retry_after_s()) from exc
    except QueueFull as exc:
        raise _unavailable(str(exc), exc.retry_after_s) from exc
    except torch.OutOfMemoryError as exc:
        log.warning("gpu_out_of_memory")
        raise _unavailable("out of GPU memory", service.retry_after_s()) from exc
    except (UnknownLora, ModelMissing) as exc:
        raise HTTPException(404, str(exc)) from exc
    except BadSize as exc:
        raise HTTPException(422, str(exc)) from exc
    except BadInputImage as exc:
        raise HTTPException(422, str(exc)) from exc
    except LoraLoadFailed as exc:
        log.error("gpu_lora_load_failed", lora=exc.name, reason=exc.reason)
        raise HTTPException(500, str(exc)) from exc


def _unavailable(detail: str, retry_after_s: int) -> HTTPException:
    return HTTPException(503, detail, {"Retry-After": str(max(1, retry_after_s))})
