"""What the GPU server is told at start (built from settings by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

CompileMode = Literal["auto", "on", "off"]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    token: str = field(repr=False)
    """Bearer token every generate/edit request must carry."""
    generate_model: str | None = "black-forest-labs/FLUX.1-schnell"
    """A local folder or a hub name (FluxPipeline); None: no generate endpoint."""
    edit_model: str | None = "black-forest-labs/FLUX.1-Kontext-dev"
    """A local folder or a hub name (FluxKontextPipeline); None: no edit endpoint."""
    share_encoders: bool = True
    """The edit pipeline reuses the generate pipeline's text encoders and VAE (FLUX.1 models
    share them): about 10 GB less GPU memory."""
    lora_dir: Path | None = None
    lora_cache: int = 4
    max_batch: int = 4
    batch_window_s: float = 0.025
    queue_size: int = 32
    compile: CompileMode = "auto"
    device: str | None = None  # None: cuda when there is one, else cpu
    image_area: int = 1024 * 1024  # pixels, when a request gives no width and height
    max_side: int = 2048
    generate_steps: int = 4
    edit_steps: int = 28
    generate_guidance: float = 0.0
    edit_guidance: float = 2.5
    max_sequence_length: int = 256
    warmup: bool = True
    max_input_bytes: int = 20 * 1024 * 1024
