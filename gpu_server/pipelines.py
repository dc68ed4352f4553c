"""The FLUX pipelines: loaded once at start, made fast, and run one batch at a time.

bf16 on CUDA (float32 on CPU, for development). On CUDA the transformer's repeated blocks
are compiled (``GPU_COMPILE=auto``) and a warm-up runs the default size at batch 1 and at
``GPU_MAX_BATCH`` so the first requests do not pay for compilation. The VAE runs
channels-last. A batch adds no host synchronisation inside the denoising loop: its pixels
are converted to uint8 on the device and copied to the host once, at the end.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog
import torch
from diffusers import FluxKontextPipeline, FluxPipeline
from PIL import Image

from gpu_server.batcher import BatchKey, Pixels, WorkItem
from gpu_server.errors import ModelKind
from gpu_server.loras import LoraCache
from gpu_server.metrics import ServerMetrics
from gpu_server.settings import CompileMode, GpuServerSettings
from gpu_server.sizing import fit_size

log = structlog.get_logger(__name__)
SHARED_COMPONENTS = ("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae")


@dataclass(slots=True)
class LoadedModel:
    kind: ModelKind
    pipeline: Any  # FluxPipeline or FluxKontextPipeline
    loras: LoraCache
    steps: int  # defaults for requests that name none
    guidance: float

    @property
    def multiple_of(self) -> int:
        """Width and height must be multiples of this (16 for FLUX.1)."""
        return int(self.pipeline.vae_scale_factor) * 2


@dataclass(slots=True)
class ModelSet:
    device: torch.device
    dtype: torch.dtype
    compiled: bool
    models: dict[ModelKind, LoadedModel]


def choose_device(requested: str | None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def dtype_for(device: torch.device) -> torch.dtype:
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def should_compile(mode: CompileMode, device: torch.device) -> bool:
    return mode == "on" or (mode == "auto" and device.type == "cuda")


def load_pipelines(config: GpuServerSettings, device: torch.device) -> tuple[Any, Any]:
    """(generate, edit) pipelines from GPU_GENERATE_MODEL / GPU_EDIT_MODEL; either may be None."""
    dtype = dtype_for(device)
    generate = edit = None
    if config.generate_model:
        generate = FluxPipeline.from_pretrained(config.generate_model, dtype=dtype)
    if config.edit_model:
        shared: dict[str, Any] = {}
        if generate is not None and config.share_encoders:
            shared = {name: getattr(generate, name) for name in SHARED_COMPONENTS}
        edit = FluxKontextPipeline.from_pretrained(config.edit_model, dtype=dtype, **shared)
    return generate, edit


def prepare_models(
    generate: Any,
    edit: Any,
    config: GpuServerSettings,
    metrics: ServerMetrics,
    device: torch.device,
    *,
    compile_mode: CompileMode | None = None,
) -> ModelSet:
    """Move loaded pipelines to ``device`` and make them fast; compiles when asked."""
    compiled = should_compile(compile_mode or config.compile, device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    models: dict[ModelKind, LoadedModel] = {}
    specs: list[tuple[ModelKind, Any, int, float]] = [
        ("generate", generate, config.generate_steps, config.generate_guidance),
        ("edit", edit, config.edit_steps, config.edit_guidance),
    ]
    for kind, pipeline, steps, guidance in specs:
        if pipeline is None:
            continue
        pipeline.to(device)
        pipeline.vae.to(memory_format=torch.channels_last)
        pipeline.set_progress_bar_config(disable=True)
        if compiled:
            compile_transformer(pipeline)
        loras = LoraCache(
            pipeline,
            config.lora_dir,
            config.lora_cache,
            on_load=metrics.lora_loads.labels(model=kind).inc,
        )
        models[kind] = LoadedModel(kind, pipeline, loras, steps, guidance)
    return ModelSet(device, dtype_for(device), compiled, models)


def compile_transformer(pipeline: Any) -> None:
    """Compile the transformer's repeated blocks (regional compilation: the same speed as
    compiling the whole model, a fraction of the compile time)."""
    transformer = pipeline.transformer
    if getattr(transformer, "_fulmine_compiled", False):  # compiling again would recompile
        return
    transformer.compile_repeated_blocks(fullgraph=True)
    transformer._fulmine_compiled = True


def run_batch(
    model: LoadedModel,
    key: BatchKey,
    items: Sequence[WorkItem],
    *,
    max_sequence_length: int,
    metrics: ServerMetrics | None = None,
) -> list[Pixels]:
    """One pipeline call for all images of ``items``; runs on the GPU thread."""
    model.loras.activate(key.lora, key.lora_scale)
    prompts: list[str] = []
    generators: list[torch.Generator] = []
    images: list[Image.Image] = []
    for item in items:
        for index in range(item.num_images):
            prompts.append(item.prompt)
            # CPU generators: the same seed makes the same noise on any device.
            generators.append(torch.Generator("cpu").manual_seed(item.seed + index))
            if item.image is not None:
                images.append(item.image)
    arguments: dict[str, Any] = {
        "prompt": prompts,
        "generator": generators,
        "num_inference_steps": key.steps,
        "guidance_scale": key.guidance,
        "width": key.width,
        "height": key.height,
        "max_sequence_length": max_sequence_length,
        "output_type": "pt",
    }
    if key.model == "edit":
        arguments.update(image=images, max_area=key.width * key.height, _auto_resize=False)
    with torch.inference_mode():
        output = model.pipeline(**arguments).images
        pixels = (output.float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1)
        host: np.ndarray[Any, np.dtype[np.uint8]] = pixels.cpu().numpy()
    if metrics is not None and model.pipeline.device.type == "cuda":
        record_gpu_memory(metrics)
    return [np.ascontiguousarray(image) for image in host]


def record_gpu_memory(metrics: ServerMetrics) -> None:
    metrics.gpu_memory.labels(kind="allocated").set(torch.cuda.memory_allocated())
    metrics.gpu_memory.labels(kind="reserved").set(torch.cuda.memory_reserved())
    metrics.gpu_memory.labels(kind="peak").set(torch.cuda.max_memory_allocated())


def warm_up(models: ModelSet, config: GpuServerSettings, metrics: ServerMetrics) -> None:
    """Run each model once at the default size (and at GPU_MAX_BATCH when compiled), so
    compilation and kernel selection happen before the first request."""
    batch_sizes = sorted({1, config.max_batch}) if models.compiled else [1]
    for kind, model in models.models.items():
        width, height = fit_size((1, 1), config.image_area, model.multiple_of, config.max_side)
        image = Image.new("RGB", (width, height), "gray") if kind == "edit" else None
        key = BatchKey(kind, width, height, 2, model.guidance, None, 1.0)
        for size in batch_sizes:
            started = time.perf_counter()
            items = [WorkItem(key, "warm-up", seed, 1, image) for seed in range(size)]
            run_batch(
                model, key, items, max_sequence_length=config.max_sequence_length, metrics=metrics
            )
            log.info("gpu_warm_up", model=kind, batch=size, seconds=time.perf_counter() - started)
