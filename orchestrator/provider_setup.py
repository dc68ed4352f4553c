"""Which image provider serves which kind of job, from settings."""

from __future__ import annotations

from orchestrator.settings import Settings
from providers.base import ImageProvider
from providers.registry import build_provider
from state.models import JobKind


def resolve_provider_name(setting: str) -> str:
    """``auto``: the offline placeholder until a hosted provider is configured."""
    return "placeholder" if setting == "auto" else setting


def build_providers(settings: Settings) -> dict[JobKind, ImageProvider]:
    """One provider per job kind; a provider named for both kinds is built once."""
    generate = resolve_provider_name(settings.generate_provider)
    edit = resolve_provider_name(settings.edit_provider)
    built = {name: build_provider(name) for name in {generate, edit}}
    return {JobKind.GENERATE: built[generate], JobKind.EDIT: built[edit]}
