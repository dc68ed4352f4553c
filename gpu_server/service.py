"""The GPU server's work, without HTTP: load the models, turn requests into batched work,
encode the results. Started and stopped by the app's lifespan; both are idempotent.

Models load in the background after start: until they are loaded (and warmed up) the
server is alive but not ready, and generate/edit answer 503.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from gpu_server.batcher import (
    Batcher,
    BatchKey,
    ItemResult,
    Pixels,
    WorkItem,
)
from gpu_server.encode import PIL_FORMATS, ImageCodec
from gpu_server.errors import BadInputImage, ModelKind, ModelMissing, NotReady, ServiceState
from gpu_server.loras import lora_path
from gpu_server.metrics import ServerMetrics
from gpu_server.pipelines import (
    LoadedModel,
    ModelSet,
    choose_device,
    load_pipelines,
    prepare_models,
    run_batch,
    warm_up,
)
from gpu_server.schemas import (
    MAX_SEED,
    EditRequest,
    GeneratedImage,
    GenerateRequest,
    ImagesResponse,
    ServerLoad,
)
from gpu_server.settings import CompileMode, GpuServerSettings
from gpu_server.sizing import check_size, fit_size, parse_aspect

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Preloaded:
    """Pipelines built by the caller (the benchmark) instead of loaded from the config."""

    generate: Any
    edit: Any
    compile_mode: CompileMode | None = None


class GpuService:
    def __init__(
        self,
        config: GpuServerSettings,
        preloaded: Preloaded | None = None,
        on_fatal: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.config = config
        self.metrics = ServerMetrics()
        self._preloaded = preloaded
        self._on_fatal = on_fatal
        self._codec = ImageCodec()
        self._models: ModelSet | None = None
        self._batcher = Batcher(
            self._run_batch,
            self.metrics,
            max_batch=config.max_batch,
            window_s=config.batch_window_s,
            queue_size=config.queue_size,
        )
        self._loader: asyncio.Task[None] | None = None
        self.state: ServiceState = "stopped"
        self.error: str | None = None

    async def start(self) -> None:
        if self._loader is not None:
            return
        self._codec.start()
        self._batcher.start_thread()
        self.state = "loading"
        self._loader = asyncio.create_task(self._load(), name="gpu-load")

    async def stop(self) -> None:
        if self._loader is None:
            return
        loader, self._loader = self._loader, None
        loader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loader
        await self._batcher.stop()
        self._codec.stop()
        self.state = "stopped"

    async def wait_ready(self) -> None:
        """Until the models are loaded (for callers that start the service themselves)."""
        if self._loader is not None:
            await asyncio.shield(self._loader)
        if self.state != "ready":
            raise NotReady(self.state)

    def load(self) -> ServerLoad:
        models = sorted(self._models.models) if self._models else []
        return ServerLoad(
            ready=self.state == "ready",
            queue_depth=self._batcher.depth,
            running=self._batcher.running,
            models=models,
            error=self.error,
        )

    def retry_after_s(self) -> int:
        return self._batcher.retry_after_s()

    async def _load(self) -> None:
        try:
            self._models = await self._batcher.on_gpu_thread(self._load_models)
        except Exception as exc:
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            log.error("gpu_models_failed", error=self.error)
            self._on_fatal(self.error)
            return
        self._batcher.start()
        self.state = "ready"
        log.info("gpu_server_ready", models=sorted(self._models.models))

    def _load_models(self) -> ModelSet:
        device = choose_device(self.config.device)
        log.info("gpu_models_loading", device=str(device))
        if self._preloaded is not None:
            generate, edit = self._preloaded.generate, self._preloaded.edit
            mode = self._preloaded.compile_mode
        else:
            generate, edit = load_pipelines(self.config, device)
            mode = None
        models = prepare_models(
            generate, edit, self.config, self.metrics, device, compile_mode=mode
        )
        if self.config.warmup:
            warm_up(models, self.config, self.metrics)
        return models

    def _run_batch(self, key: BatchKey, items: Sequence[WorkItem]) -> list[Pixels]:
        model = self._model(key.model)
        return run_batch(
            model,
            key,
            items,
            max_sequence_length=self.config.max_sequence_length,
            metrics=self.metrics,
        )

    def _model(self, kind: ModelKind) -> LoadedModel:
        if self.state != "ready" or self._models is None:
            raise NotReady(self.state)
        model = self._models.models.get(kind)
        if model is None:
            raise ModelMissing(kind)
        return model

    async def generate(self, request: GenerateRequest) -> ImagesResponse:
        model = self._model("generate")
        if request.width is None and request.height is None:
            size = fit_size(
                parse_aspect(request.aspect_ratio),
                self.config.image_area,
                model.multiple_of,
                self.config.max_side,
            )
        else:
            size = self._given_size(request, model)
        return await self._run(model, request, size, None)

    async def edit(self, request: EditRequest) -> ImagesResponse:
        model = self._model("edit")
        try:
            data = base64.b64decode(request.image, validate=True)
        except binascii.Error as exc:
            raise BadInputImage("not valid base64") from exc
        input_size = await self._codec.input_size(data, self.config.max_input_bytes)
        if request.width is None and request.height is None:
            size = fit_size(
                input_size, self.config.image_area, model.multiple_of, self.config.max_side
            )
        else:
            size = self._given_size(request, model)
        image = await self._codec.decode(data, *size)
        return await self._run(model, request, size, image)

    def _given_size(self, request: GenerateRequest, model: LoadedModel) -> tuple[int, int]:
        """Width and height given in the request; one alone keeps the square aspect."""
        width = request.width or request.height or 0
        height = request.height or request.width or 0
        check_size(width, height, model.multiple_of, self.config.max_side)
        return width, height

    async def _run(
        self,
        model: LoadedModel,
        request: GenerateRequest,
        size: tuple[int, int],
        image: Any,
    ) -> ImagesResponse:
        lora = request.lora
        if lora is not None:
            lora_path(self.config.lora_dir, lora.name)  # UnknownLora before queueing
        steps = request.steps or model.steps
        guidance = model.guidance if request.guidance is None else request.guidance
        key = BatchKey(
            model.kind,
            size[0],
            size[1],
            steps,
            guidance,
            lora.name if lora else None,
            lora.scale if lora else 1.0,
        )
        seed = secrets.randbelow(MAX_SEED + 1) if request.seed is None else request.seed
        # A request larger than a batch becomes several items; image i still uses seed + i.
        chunk = max(1, self.config.max_batch)
        items = [
            WorkItem(
                key, request.prompt, seed + start, min(chunk, request.num_images - start), image
            )
            for start in range(0, request.num_images, chunk)
        ]
        results: list[ItemResult] = await asyncio.gather(
            *(self._batcher.submit(item) for item in items)
        )
        pixels = [array for result in results for array in result.pixels]
        encoded = await asyncio.gather(
            *(self._codec.encode(a, request.output_format, request.quality) for a in pixels)
        )
        content_type = PIL_FORMATS[request.output_format][1]
        return ImagesResponse(
            images=[
                GeneratedImage(
                    data=base64.b64encode(data).decode("ascii"),
                    content_type=content_type,
                    seed=seed + index,
                )
                for index, data in enumerate(encoded)
            ],
            width=size[0],
            height=size[1],
            steps=steps,
            lora=lora,
            batch_images=max(result.batch_images for result in results),
            queue_s=round(max(result.queue_s for result in results), 4),
            run_s=round(sum(result.run_s for result in results), 4),
        )
