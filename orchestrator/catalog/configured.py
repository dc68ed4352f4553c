"""The catalog this process offers: the file, today's model settings laid over it, and
only the models whose providers are configured.

Settings that override the catalog (each only when it is set):

- ``GENERATE_PROVIDER`` / ``EDIT_PROVIDER`` (not ``auto``): the provider chain of the
  default generate / edit model; every provider named must then be configured.
- ``GENERATE_MODEL`` (Replicate, ``owner/name[:version]``) and ``FAL_GENERATE_MODEL``: the
  default generate model's ids; ``EDIT_MODEL``: the default edit model's fal id.
- ``GENERATE_LORA`` / ``GENERATE_LORA_SCALE``: the default generate model's default LoRA
  (named ``default``).
- ``PRICE_GENERATE_SATS`` / ``PRICE_EDIT_SATS``: the price of every generate / edit model.

A provider is configured when it can be called: Replicate with ``REPLICATE_API_TOKEN``, fal
with ``FAL_KEY``, the GPU servers with ``GPU_BACKEND_URLS`` and ``GPU_SERVER_TOKEN``; the
placeholder always. A chain keeps its configured members; a model with none is disabled.
Placeholder models are offered only where no other model of their kind is.
"""

from __future__ import annotations

from typing import Any

import structlog

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import KINDS, CatalogEntry, Kind, LoraSpec
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

SETTINGS_LORA = "default"


def configured_providers(settings: Settings) -> frozenset[str]:
    """The providers that can be called with these settings."""
    names = {"placeholder"}
    if _set(settings.replicate_api_token):
        names.add("replicate")
    if _set(settings.fal_key):
        names.add("fal")
    if settings.gpu_backend_urls and _set(settings.gpu_server_token):
        names.add("gpu")
    return frozenset(names)


def _set(secret: Any) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())


def forced_chains(settings: Settings) -> dict[Kind, tuple[str, ...]]:
    """The chains settings name outright (``GENERATE_PROVIDER`` / ``EDIT_PROVIDER``)."""
    chains: dict[Kind, tuple[str, ...]] = {}
    if settings.generate_provider != "auto":
        chains["generate"] = tuple(settings.generate_provider.split(","))
    if settings.edit_provider != "auto":
        chains["edit"] = tuple(settings.edit_provider.split(","))
    return chains


def catalog_for(settings: Settings, base: Catalog | None = None) -> Catalog:
    """The catalog offered with ``settings`` (``base``: the file's, loaded when None)."""
    catalog = base if base is not None else Catalog.load(settings.catalog_file)
    catalog = catalog.replaced(_overridden(settings, catalog))
    available = configured_providers(settings)
    forced = {
        entry.name
        for kind in forced_chains(settings)
        if (entry := _declared_default(catalog, kind)) is not None
    }
    entries = [_available(entry, available, entry.name in forced) for entry in catalog]
    real = {e.kind for e in entries if e.enabled and e.provider != ("placeholder",)}
    entries = [
        e.model_copy(update={"enabled": False})
        if e.provider == ("placeholder",) and e.kind in real and e.name not in forced
        else e
        for e in entries
    ]
    offered = Catalog(entries, catalog.source)
    defaults = {kind: offered.default_for(kind) for kind in KINDS}
    names = {entry.name for entry in defaults.values() if entry is not None}
    return Catalog(
        (e.model_copy(update={"default": e.name in names}) for e in entries), catalog.source
    )


def _declared_default(catalog: Catalog, kind: Kind) -> CatalogEntry | None:
    """The default the file declares for ``kind`` (enabled or not), else its first model."""
    of_kind = [entry for entry in catalog if entry.kind == kind]
    return next((e for e in of_kind if e.default), of_kind[0] if of_kind else None)


def _available(entry: CatalogEntry, available: frozenset[str], forced: bool) -> CatalogEntry:
    if forced or not entry.enabled:  # a forced chain's missing keys stop start-up instead
        return entry
    chain = tuple(name for name in entry.provider if name in available)
    if not chain:
        return entry.model_copy(update={"enabled": False})
    model = {name: model_id for name, model_id in entry.model.items() if name in chain}
    return entry.model_copy(update={"provider": chain, "model": model})


def _overridden(settings: Settings, catalog: Catalog) -> list[CatalogEntry]:
    given = settings.model_fields_set
    changed: list[CatalogEntry] = []
    chains = forced_chains(settings)
    for kind in ("generate", "edit"):
        entry = _declared_default(catalog, kind)
        if entry is None:
            continue
        update: dict[str, Any] = {}
        chain = chains.get(kind, entry.provider)
        model = {name: entry.model[name] for name in chain if name in entry.model}
        if kind == "generate":
            replicate_id, _, version = settings.generate_model.partition(":")
            ids = {"replicate": replicate_id, "fal": settings.fal_generate_model}
            explicit = {"replicate": "generate_model", "fal": "fal_generate_model"}
        else:
            ids, explicit, version = {"fal": settings.edit_model}, {"fal": "edit_model"}, ""
        for name in chain:
            if name in ids and (name not in model or explicit[name] in given):
                model[name] = ids[name]
        if "replicate" in chain and "generate_model" in given and kind == "generate":
            update["version"] = version or None
        update["provider"], update["model"] = chain, model
        if kind == "generate" and settings.generate_lora:
            lora = LoraSpec(weights=settings.generate_lora, scale=settings.generate_lora_scale)
            update["loras"] = {**entry.loras, SETTINGS_LORA: lora}
            update["default_lora"] = SETTINGS_LORA
        changed.append(CatalogEntry.model_validate({**entry.model_dump(), **update}))
    prices = {"generate": "price_generate_sats", "edit": "price_edit_sats"}
    for entry in catalog.replaced(changed):
        kind_price = prices.get(entry.kind)
        if kind_price is not None and kind_price in given:
            price = getattr(settings, kind_price)
            changed.append(entry.model_copy(update={"price_sats": price}))
    return changed
