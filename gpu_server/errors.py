"""Errors of the GPU server; ``app.py`` turns each into its HTTP answer."""

from __future__ import annotations

from typing import Literal

ModelKind = Literal["generate", "edit"]
ServiceState = Literal["stopped", "loading", "ready", "failed"]


class GpuServerError(Exception):
    """Base class."""


class NotReady(GpuServerError):
    """The models are not loaded (yet, or loading failed): 503."""

    def __init__(self, state: ServiceState) -> None:
        super().__init__(f"the models are not ready ({state})")
        self.state: ServiceState = state


class ServerStopping(GpuServerError):
    """The server stopped before the request ran: 503."""

    def __init__(self) -> None:
        super().__init__("the server is stopping")


class BadInputImage(GpuServerError):
    """An edit's input is not a whole image within the limits: 422."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"input image: {reason}")
        self.reason = reason


class QueueFull(GpuServerError):
    """Too many requests wait for the GPU: 503 with Retry-After."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"the GPU queue is full; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class ModelMissing(GpuServerError):
    """This server has no model of that kind: 404."""

    def __init__(self, kind: ModelKind) -> None:
        super().__init__(f"this server has no {kind} model")
        self.kind: ModelKind = kind


class UnknownLora(GpuServerError):
    """No such adapter in GPU_LORA_DIR: 404."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no LoRA named {name!r} on this server")
        self.name = name


class LoraLoadFailed(GpuServerError):
    """The adapter file exists but diffusers/peft could not load it: 500."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"LoRA {name!r} could not be loaded: {reason}")
        self.name = name
        self.reason = reason


class BadSize(GpuServerError):
    """A requested size or aspect ratio the model cannot make: 422."""
