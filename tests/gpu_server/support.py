"""Tiny FLUX models on disk, LoRA files, and the real GPU server, for the gpu tests.

Everything is built offline: random weights from small configurations
(``gpu_server.random_weights``), tokenizers from an in-memory vocabulary,
saved with ``save_pretrained`` and loaded back by the server like any model folder.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from safetensors.torch import save_file

from gpu_server.app import create_app
from gpu_server.random_weights import build_pipeline
from gpu_server.settings import GpuServerSettings
from orchestrator.serving.server import serve_in_background
from tests.redis_server import free_port

TOKEN = "gpu-test-token-0123456789abcdef"
FULMINE = str(Path(sys.executable).with_name("fulmine"))
LORA_NAMES = ("ink", "neon", "chrome")


@dataclass(frozen=True)
class TinyModels:
    generate: Path
    edit: Path
    loras: Path


def build_tiny_models(root: Path) -> TinyModels:
    models = TinyModels(root / "flux-tiny", root / "kontext-tiny", root / "loras")
    generate = build_pipeline("generate", seed=0)
    generate.save_pretrained(models.generate)
    build_pipeline("edit", seed=1).save_pretrained(models.edit)
    models.loras.mkdir()
    for index, name in enumerate(LORA_NAMES):
        write_lora(generate.transformer, models.loras / f"{name}.safetensors", seed=100 + index)
    return models


def write_lora(transformer: torch.nn.Module, path: Path, seed: int, rank: int = 4) -> None:
    """A LoRA in diffusers' format (``transformer.<module>.lora_A/B.weight``) on the
    attention projections, with random non-zero A and B so that it changes the image."""
    generator = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    for name, module in transformer.named_modules():
        if isinstance(module, torch.nn.Linear) and name.endswith(("attn.to_q", "attn.to_v")):
            prefix = f"transformer.{name}"
            down = torch.randn(rank, module.in_features, generator=generator)
            up = torch.randn(module.out_features, rank, generator=generator)
            tensors[f"{prefix}.lora_A.weight"] = down
            tensors[f"{prefix}.lora_B.weight"] = up
    save_file(tensors, str(path))


def server_env(models: TinyModels, port: int, **values: str) -> dict[str, str]:
    """The environment of a ``fulmine gpu-server``: no TELEGRAM_* variable at all."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return {
        **keep,
        "GPU_SERVER_TOKEN": TOKEN,
        "GPU_SERVER_HOST": "127.0.0.1",
        "GPU_SERVER_PORT": str(port),
        "GPU_GENERATE_MODEL": str(models.generate),
        "GPU_EDIT_MODEL": str(models.edit),
        "GPU_SHARE_ENCODERS": "false",
        "GPU_LORA_DIR": str(models.loras),
        "GPU_LORA_CACHE": "2",
        "GPU_MAX_BATCH": "4",
        "GPU_BATCH_WINDOW_MS": "150",
        "GPU_IMAGE_AREA": str(32 * 32),
        "GPU_GENERATE_STEPS": "2",
        "GPU_EDIT_STEPS": "2",
        "GPU_MAX_SEQUENCE_LENGTH": "32",
        **values,
    }


@contextlib.contextmanager
def gpu_server_process(models: TinyModels, workdir: Path, **values: str) -> Iterator[str]:
    """``fulmine gpu-server`` as an operator starts it; yields its URL once it is ready."""
    port = free_port()
    log_path = workdir / "gpu-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [FULMINE, "gpu-server"],
            env=server_env(models, port, **values),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gpu-server exited: {log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"gpu-server not ready in time: {log_path.read_text()[-3000:]}")


def in_process_config(models: TinyModels, **changes: Any) -> GpuServerSettings:
    config = GpuServerSettings(
        _env_file=None,
        server_token=TOKEN,
        generate_model=str(models.generate),
        edit_model=None,
        lora_dir=models.loras,
        max_batch=4,
        batch_window_ms=0.0,
        image_area=32 * 32,
        generate_steps=2,
        max_sequence_length=32,
        warmup=False,
    )
    return config.model_copy(update=changes)


@contextlib.asynccontextmanager
async def in_process_server(config: GpuServerSettings) -> AsyncIterator[str]:
    """The same app served by uvicorn in this process; yields its URL once it is ready."""
    app = create_app(config)
    async with serve_in_background(app) as url, httpx.AsyncClient() as http:
        for _ in range(600):
            if (await http.get(f"{url}/ready")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("in-process GPU server not ready")
        yield url


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def pixels(encoded: str) -> NDArray[np.int16]:
    """A base64 image of an answer as an int16 array (so that differences do not wrap)."""
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def png_base64(size: tuple[int, int], color: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def metric(text: str, name: str, **labels: str) -> float:
    """One sample of the Prometheus text ``text``; 0 when it is not there yet."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0
