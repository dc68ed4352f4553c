"""A hosted moderation classifier, when the operator configures one (MODERATION_HOSTED).

``HostedClassifier`` (base.py) is the interface; ``OpenAIModeration`` (openai.py) and
``LlamaGuard`` (llamaguard.py) implement it; ``HostedLayer`` (layer.py) combines its
verdict with the local checks' decision, caches it and falls back on failure.
"""

from __future__ import annotations

from orchestrator.moderation.hosted.base import HostedClassifier, HostedVerdict
from orchestrator.moderation.hosted.layer import HostedLayer
from orchestrator.moderation.hosted.llamaguard import LlamaGuard
from orchestrator.moderation.hosted.openai import OpenAIModeration
from orchestrator.settings import Settings

__all__ = [
    "HostedClassifier",
    "HostedLayer",
    "HostedVerdict",
    "LlamaGuard",
    "OpenAIModeration",
    "hosted_layer",
]


def hosted_layer(settings: Settings) -> HostedLayer | None:
    """The configured hosted classifier behind its layer; ``None`` for ``none``."""
    kinds = {"openai": OpenAIModeration, "llamaguard": LlamaGuard}
    kind = kinds.get(settings.moderation_hosted)
    if kind is None:
        return None
    url, model = settings.moderation_hosted_url, settings.moderation_hosted_model
    if url is None or model is None:  # the settings fill both in for every kind
        raise ValueError("MODERATION_HOSTED_URL and MODERATION_HOSTED_MODEL must be set")
    classifier = kind(
        url, settings.moderation_hosted_key, model, settings.moderation_hosted_timeout_s
    )
    return HostedLayer(classifier, settings.moderation_hosted_cache)
