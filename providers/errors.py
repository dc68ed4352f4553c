"""Errors an image provider raises. Each carries what the caller needs to decide."""

from __future__ import annotations


class ProviderError(Exception):
    """Base class: something went wrong making the image."""

    def __init__(self, provider: str, detail: str = "") -> None:
        super().__init__(f"{provider}: {detail}" if detail else provider)
        self.provider = provider
        self.detail = detail


class ProviderTimeout(ProviderError):
    """The provider did not answer within the operation's time limit."""

    def __init__(self, provider: str, timeout_s: float) -> None:
        super().__init__(provider, f"no answer within {timeout_s:g} s")
        self.timeout_s = timeout_s


class ProviderUnavailable(ProviderError):
    """The provider is down or unreachable; another provider might work."""


class ContentRefused(ProviderError):
    """The provider refused the prompt or image (safety filter, policy)."""


class InvalidInput(ProviderError):
    """The request cannot be served as given (unreadable image, bad size...)."""
