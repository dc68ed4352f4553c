"""The image providers of the catalog's models, built from settings.

Each model the catalog offers (``orchestrator.catalog.configured``) gets its provider, or
its fallback chain, configured with the model's ids and default parameters. With no key
set the offered models are the offline placeholders; ``GENERATE_PROVIDER`` /
``EDIT_PROVIDER`` force the default models' chains, and a provider they name without its
key stops start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from orchestrator.catalog import Catalog, CatalogEntry
from orchestrator.catalog.configured import catalog_for, forced_chains
from orchestrator.settings import MissingSetting, Settings
from providers.base import ImageProvider
from providers.chain import ProviderChain
from providers.fal import FalConfig, FalProvider
from providers.gpu import GpuConfig, GpuProvider
from providers.placeholder import PlaceholderProvider
from providers.replicate import ReplicateConfig, ReplicateProvider
from providers.retrying import RetryPolicy
from state.models import JobKind

KEY_VARIABLES = {"replicate": "REPLICATE_API_TOKEN", "fal": "FAL_KEY"}
SETTING_VARIABLES = {"generate": "GENERATE_PROVIDER", "edit": "EDIT_PROVIDER"}


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


def _keys(settings: Settings) -> dict[str, str | None]:
    return {"replicate": _secret(settings.replicate_api_token), "fal": _secret(settings.fal_key)}


def provider_names(settings: Settings, kind: JobKind) -> list[str]:
    """The provider chain of ``kind``'s default model, in the order it is tried."""
    entry = catalog_for(settings).default_for(kind.value)
    return list(entry.provider) if entry is not None else []


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.provider_attempts,
        backoff_s=settings.provider_backoff_s,
        max_wait_s=settings.provider_max_wait_s,
    )


def _key(settings: Settings, name: str, named_by: str) -> str:
    key = _keys(settings)[name]
    if key is None:
        raise MissingSetting(KEY_VARIABLES[name], f"is required when {named_by} names {name}")
    return key


def _replicate(settings: Settings, entry: CatalogEntry, named_by: str) -> ImageProvider:
    model = entry.model.get("replicate", settings.generate_model)
    return ReplicateProvider(
        ReplicateConfig(
            api_token=_key(settings, "replicate", named_by),
            base_url=settings.replicate_base_url,
            model=f"{model}:{entry.version}" if entry.version else model,
            params=dict(entry.params),
            request_timeout_s=settings.provider_request_timeout_s,
            poll_interval_s=settings.provider_poll_interval_s,
            retry=_retry_policy(settings),
        )
    )


def _fal(settings: Settings, entry: CatalogEntry, named_by: str) -> ImageProvider:
    model = entry.model.get("fal")
    return FalProvider(
        FalConfig(
            key=_key(settings, "fal", named_by),
            edit_model=model or settings.edit_model,
            generate_model=model or settings.fal_generate_model,
            upscale_model=model or "fal-ai/esrgan",
            params=dict(entry.params),
            start_timeout_s=max(settings.generate_timeout_s, settings.edit_timeout_s),
            request_timeout_s=settings.provider_request_timeout_s,
            poll_interval_s=settings.provider_poll_interval_s,
            retry=_retry_policy(settings),
        )
    )


_PLACEHOLDER = PlaceholderProvider()  # draws in this process; one serves every model


def _placeholder(settings: Settings, entry: CatalogEntry, named_by: str) -> ImageProvider:
    return _PLACEHOLDER


def _gpu(settings: Settings, entry: CatalogEntry, named_by: str) -> ImageProvider:
    if not settings.gpu_backend_urls:
        raise MissingSetting("GPU_BACKEND_URLS", f"is required when {named_by} names gpu")
    token = _secret(settings.gpu_server_token)
    if token is None:
        raise MissingSetting("GPU_SERVER_TOKEN", f"is required when {named_by} names gpu")
    return GpuProvider(
        GpuConfig(
            backend_urls=settings.gpu_backend_urls,
            token=token,
            lora=settings.gpu_lora,
            lora_scale=settings.gpu_lora_scale,
            steps=settings.gpu_steps,
            output_format=settings.gpu_output_format,
            request_timeout_s=settings.gpu_request_timeout_s,
            retry=_retry_policy(settings),
        )
    )


BUILDERS: dict[str, Callable[[Settings, CatalogEntry, str], ImageProvider]] = {
    "placeholder": _placeholder,
    "replicate": _replicate,
    "fal": _fal,
    "gpu": _gpu,
}
"""How each provider in ``providers.registry.PROVIDERS`` is built for a catalog model."""


def build_model_providers(settings: Settings, catalog: Catalog) -> dict[str, ImageProvider]:
    """One provider (or chain) per model the catalog offers, by model name."""
    forced = {
        entry.name: SETTING_VARIABLES[kind]
        for kind in forced_chains(settings)
        if (entry := catalog.default_for(kind)) is not None
    }
    built: dict[str, ImageProvider] = {}
    for entry in catalog.visible():
        named_by = forced.get(entry.name, f"the catalog model {entry.name}")
        members = [BUILDERS[name](settings, entry, named_by) for name in entry.provider]
        built[entry.name] = members[0] if len(members) == 1 else ProviderChain(members)
    return built


def defaults_by_kind(
    catalog: Catalog, models: dict[str, ImageProvider]
) -> dict[JobKind, ImageProvider]:
    """The provider of each kind's default model: what a request naming none gets."""
    defaults: dict[JobKind, ImageProvider] = {}
    for kind in JobKind:
        entry = catalog.default_for(kind.value)
        if entry is not None:
            defaults[kind] = models[entry.name]
    return defaults


def build_providers(
    settings: Settings, catalog: Catalog | None = None
) -> dict[JobKind, ImageProvider]:
    """The default model's provider per job kind (the catalog offered with ``settings``)."""
    catalog = catalog if catalog is not None else catalog_for(settings)
    return defaults_by_kind(catalog, build_model_providers(settings, catalog))
