"""Which image providers serve which kind of job, from settings.

``GENERATE_PROVIDER``/``EDIT_PROVIDER`` name one provider or a fallback chain
(``replicate,fal``). ``auto`` picks the hosted providers whose keys are set: Replicate then
fal for generation, fal for edits; with no key it is the offline placeholder.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from orchestrator.settings import MissingSetting, Settings
from providers.base import ImageProvider
from providers.chain import ProviderChain
from providers.fal import FalConfig, FalProvider
from providers.gpu import GpuConfig, GpuProvider
from providers.placeholder import PlaceholderProvider
from providers.replicate import ReplicateConfig, ReplicateProvider
from providers.retrying import RetryPolicy
from state.models import JobKind

AUTO_ORDER = {JobKind.GENERATE: ("replicate", "fal"), JobKind.EDIT: ("fal",)}
KEY_VARIABLES = {"replicate": "REPLICATE_API_TOKEN", "fal": "FAL_KEY"}
SETTING_VARIABLES = {JobKind.GENERATE: "GENERATE_PROVIDER", JobKind.EDIT: "EDIT_PROVIDER"}


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


def _keys(settings: Settings) -> dict[str, str | None]:
    return {"replicate": _secret(settings.replicate_api_token), "fal": _secret(settings.fal_key)}


def provider_names(settings: Settings, kind: JobKind) -> list[str]:
    """The provider chain for ``kind``, in the order it is tried."""
    setting = settings.generate_provider if kind is JobKind.GENERATE else settings.edit_provider
    if setting != "auto":
        return setting.split(",")
    keys = _keys(settings)
    return [name for name in AUTO_ORDER[kind] if keys[name]] or ["placeholder"]


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


def _replicate(settings: Settings, named_by: str) -> ImageProvider:
    return ReplicateProvider(
        ReplicateConfig(
            api_token=_key(settings, "replicate", named_by),
            base_url=settings.replicate_base_url,
            model=settings.generate_model,
            lora=settings.generate_lora,
            lora_scale=settings.generate_lora_scale,
            request_timeout_s=settings.provider_request_timeout_s,
            poll_interval_s=settings.provider_poll_interval_s,
            retry=_retry_policy(settings),
        )
    )


def _fal(settings: Settings, named_by: str) -> ImageProvider:
    return FalProvider(
        FalConfig(
            key=_key(settings, "fal", named_by),
            edit_model=settings.edit_model,
            generate_model=settings.fal_generate_model,
            lora=settings.generate_lora,
            lora_scale=settings.generate_lora_scale,
            start_timeout_s=max(settings.generate_timeout_s, settings.edit_timeout_s),
            request_timeout_s=settings.provider_request_timeout_s,
            poll_interval_s=settings.provider_poll_interval_s,
            retry=_retry_policy(settings),
        )
    )


def _placeholder(settings: Settings, named_by: str) -> ImageProvider:
    return PlaceholderProvider()


def _gpu(settings: Settings, named_by: str) -> ImageProvider:
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


BUILDERS: dict[str, Callable[[Settings, str], ImageProvider]] = {
    "placeholder": _placeholder,
    "replicate": _replicate,
    "fal": _fal,
    "gpu": _gpu,
}
"""How each provider in ``providers.registry.PROVIDERS`` is built from settings."""


def build_providers(settings: Settings) -> dict[JobKind, ImageProvider]:
    """One provider (or chain) per job kind; a provider named for both kinds is built once."""
    chains = {kind: provider_names(settings, kind) for kind in JobKind}
    built: dict[str, ImageProvider] = {}
    for kind, names in chains.items():
        for name in names:
            if name not in built:
                built[name] = BUILDERS[name](settings, SETTING_VARIABLES[kind])
    return {
        kind: built[names[0]] if len(names) == 1 else ProviderChain([built[n] for n in names])
        for kind, names in chains.items()
    }
