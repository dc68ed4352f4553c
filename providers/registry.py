"""Image providers by the names settings use (GENERATE_PROVIDER, EDIT_PROVIDER).

Building one needs its configuration: see ``orchestrator/jobs/providers.py``.
"""

from __future__ import annotations

from providers.base import ImageProvider
from providers.fal import FalProvider
from providers.gpu import GpuProvider
from providers.placeholder import PlaceholderProvider
from providers.replicate import ReplicateProvider

PROVIDERS: dict[str, type[ImageProvider]] = {
    "placeholder": PlaceholderProvider,
    "replicate": ReplicateProvider,
    "fal": FalProvider,
    "gpu": GpuProvider,
}
