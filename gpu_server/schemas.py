"""The GPU server's HTTP API (version 1), shared by the server and the ``gpu`` provider.

``POST /v1/generate`` and ``POST /v1/edit`` take JSON and answer JSON with the images as
base64. Sizes are in pixels; a request that gives neither ``width`` nor ``height`` gets
the server's default area at ``aspect_ratio`` (generate) or the input image's aspect (edit).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OutputFormat = Literal["png", "webp", "jpeg"]
LORA_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_SEED = 2**32 - 1
MAX_IMAGES = 8


class LoraChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=LORA_NAME_PATTERN, description="file name in GPU_LORA_DIR, no suffix")
    scale: float = Field(default=1.0, ge=-4, le=4)


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    width: int | None = Field(default=None, ge=16, le=4096)
    height: int | None = Field(default=None, ge=16, le=4096)
    aspect_ratio: str = Field(default="1:1", pattern=r"^\d{1,3}:\d{1,3}$")
    steps: int | None = Field(default=None, ge=1, le=100, description="default: the server's")
    guidance: float | None = Field(default=None, ge=0, le=30)
    seed: int | None = Field(
        default=None, ge=0, le=MAX_SEED, description="image i uses seed + i; default: random"
    )
    num_images: int = Field(default=1, ge=1, le=MAX_IMAGES)
    lora: LoraChoice | None = None
    output_format: OutputFormat = "png"
    quality: int = Field(default=92, ge=1, le=100, description="WebP and JPEG only")


class EditRequest(GenerateRequest):
    image: str = Field(
        min_length=1, max_length=28_000_000, description="the input image, base64 (PNG/JPEG/WebP)"
    )


class GeneratedImage(BaseModel):
    data: str = Field(description="base64 of the encoded image")
    content_type: str
    seed: int


class ImagesResponse(BaseModel):
    images: list[GeneratedImage]
    width: int
    height: int
    steps: int
    lora: LoraChoice | None
    batch_images: int = Field(description="images in the GPU batch this request ran in")
    queue_s: float = Field(description="time waiting for the GPU")
    run_s: float = Field(description="time of the batch on the GPU")


class ServerLoad(BaseModel):
    ready: bool
    queue_depth: int = Field(description="requests waiting for the GPU")
    running: int = Field(description="images in the batch on the GPU now")
    models: list[Literal["generate", "edit"]]
    error: str | None = None


class ErrorBody(BaseModel):
    detail: str
