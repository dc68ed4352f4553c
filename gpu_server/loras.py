"""LoRA adapters of one pipeline, by name, from ``GPU_LORA_DIR``.

``<GPU_LORA_DIR>/<name>.safetensors`` (any LoRA format diffusers reads for FLUX) is loaded on
first use as a peft adapter of the pipeline's transformer and kept in a least-recently-used
set of ``capacity`` adapters. A batch switches adapters with ``set_adapters`` (or turns
LoRA off): the base model is never reloaded. Only the GPU thread calls :meth:`activate`.
"""

from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from safetensors.torch import load_file

from gpu_server.errors import LoraLoadFailed, UnknownLora
from gpu_server.schemas import LORA_NAME_PATTERN

log = structlog.get_logger(__name__)


def lora_path(lora_dir: Path | None, name: str) -> Path:
    """The adapter file for ``name``; UnknownLora when there is none."""
    if lora_dir is None or not re.fullmatch(LORA_NAME_PATTERN, name):
        raise UnknownLora(name)
    path = lora_dir / f"{name}.safetensors"
    if not path.is_file():
        raise UnknownLora(name)
    return path


class LoraCache:
    def __init__(
        self,
        pipeline: Any,
        lora_dir: Path | None,
        capacity: int,
        on_load: Callable[[], None] = lambda: None,
    ) -> None:
        self._pipeline = pipeline
        self._lora_dir = lora_dir
        self._capacity = max(1, capacity)
        self._on_load = on_load
        self._adapters: OrderedDict[str, str] = OrderedDict()  # LoRA name -> adapter name
        self._serial = 0
        self._active: tuple[str, float] | None = None

    @property
    def loaded(self) -> list[str]:
        return list(self._adapters)

    def activate(self, name: str | None, scale: float = 1.0) -> None:
        """Make ``name`` at ``scale`` the only active adapter, or turn LoRA off (None)."""
        wanted = None if name is None else (name, scale)
        if wanted == self._active:
            if name is not None:
                self._adapters.move_to_end(name)
            return
        if name is None:
            self._pipeline.disable_lora()
            self._active = None
            return
        adapter = self._load(name)
        self._pipeline.enable_lora()
        self._pipeline.set_adapters([adapter], adapter_weights=[scale])
        self._active = (name, scale)

    def _load(self, name: str) -> str:
        if name in self._adapters:
            self._adapters.move_to_end(name)
            return self._adapters[name]
        path = lora_path(self._lora_dir, name)
        while len(self._adapters) >= self._capacity:
            evicted, adapter = self._adapters.popitem(last=False)
            self._pipeline.delete_adapters([adapter])
            log.info("gpu_lora_evicted", lora=evicted)
        self._serial += 1
        adapter = f"adapter_{self._serial}"  # peft adapter names may not contain dots
        try:
            with warnings.catch_warnings():
                # peft warns whenever a second adapter joins the model: that is the point here.
                warnings.filterwarnings("ignore", "Already found a `peft_config`", UserWarning)
                self._pipeline.load_lora_weights(load_file(str(path)), adapter_name=adapter)
        except Exception as exc:  # diffusers/peft raise many types on a foreign file
            if adapter in self._pipeline.get_list_adapters().get("transformer", []):
                self._pipeline.delete_adapters([adapter])
            raise LoraLoadFailed(name, f"{type(exc).__name__}: {exc}"[:300]) from exc
        self._adapters[name] = adapter
        self._on_load()
        log.info("gpu_lora_loaded", lora=name, adapter=adapter)
        return adapter
