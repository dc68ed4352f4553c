"""The prompt writer interface: a hosted language model that rewrites a short image
prompt into a detailed one.

Contract for every writer:

- ``start()`` and ``stop()`` are idempotent; a writer may open clients in ``start``.
- ``write(system, prompt)`` returns the model's answer to ``prompt`` under the ``system``
  instructions, stripped, never empty; it makes one attempt (the caller bounds it in time
  and falls back), so it does not retry.
- Failures raise ``providers.errors.ProviderUnavailable`` (the service refused, failed or
  answered nothing usable) or ``ProviderTimeout``; a writer maps its client's errors with
  ``raise X(...) from exc`` and never logs the prompt or its key.
- ``model`` names the model asked (part of the cache key of its answers).
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class PromptWriter(ABC):
    name: str
    model: str

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients; idempotent."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close clients; idempotent."""

    @abstractmethod
    async def write(self, system: str, prompt: str) -> str: ...
