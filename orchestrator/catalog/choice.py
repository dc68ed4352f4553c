"""A job's model: chosen at admission, before anything is spent on the job, and looked
up again by the worker that runs it.

At admission the model is fixed (the kind's default when the request names none), the
LoRA checked against the model's allowed list, and the price of one image written into
the job, so that what the user is charged is what they were shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.catalog.errors import UnknownLora, UnknownModel
from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import CatalogEntry
from state.models import Job


@dataclass(frozen=True, slots=True)
class LoraChoice:
    weights: str
    scale: float


def choose(catalog: Catalog, job: Job) -> CatalogEntry:
    """Fix ``job.model`` and ``job.price_sats_each``; raises ``UnknownModel`` or
    ``UnknownLora`` (refusals: nothing was taken)."""
    entry = entry_for(catalog, job)
    if job.lora is not None and job.lora not in entry.loras:
        raise UnknownLora(job.lora, entry.name, sorted(entry.loras))
    job.model = entry.name
    job.price_sats_each = entry.price_sats
    return entry


def entry_for(catalog: Catalog, job: Job) -> CatalogEntry:
    """The catalog entry of ``job`` (its kind's default when it names none)."""
    entry = catalog.pick(job.model, job.kind.value)
    if entry is None:
        offered = [e.name for e in catalog.visible(job.kind.value)]
        raise UnknownModel(job.model or "", job.kind.value, offered)
    return entry


def lora_for(entry: CatalogEntry, job: Job) -> LoraChoice | None:
    """The LoRA a job runs with: its own, else the model's default, else none."""
    name = job.lora or entry.default_lora
    spec = entry.loras.get(name) if name is not None else None
    if spec is None:
        return None
    return LoraChoice(spec.weights, job.lora_scale if job.lora_scale is not None else spec.scale)
