"""Errors an image provider raises, in the tree of :mod:`fulmine.errors`. Each carries what
the caller needs to decide. Bad input is :class:`fulmine.errors.InvalidInput`."""

from __future__ import annotations

from typing import Literal

from fulmine.errors import Failure, Refusal


class ProviderError(Failure):
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
    """The provider is down, unreachable or failed; another provider might work.

    ``transient``: the same call may succeed if repeated (network error before the request
    was sent, 429, 5xx), so retrying it is safe. ``retry_after_s``: how long the provider
    asked us to wait (429 ``Retry-After``). ``may_still_run``: work may have started at the
    provider and could not be cancelled, so it must not be started anywhere else.
    """

    def __init__(
        self,
        provider: str,
        detail: str = "",
        *,
        status_code: int | None = None,
        transient: bool = False,
        retry_after_s: float | None = None,
        may_still_run: bool = False,
    ) -> None:
        super().__init__(provider, detail)
        self.status_code = status_code
        self.transient = transient
        self.retry_after_s = retry_after_s
        self.may_still_run = may_still_run


RefusalReason = Literal["policy", "invalid_input"]


class ContentRefused(Refusal):
    """The provider refused the prompt or image (safety filter, policy, input validation)."""

    def __init__(self, provider: str, detail: str = "", reason: RefusalReason = "policy") -> None:
        super().__init__(f"{provider}: {detail}" if detail else provider)
        self.provider = provider
        self.detail = detail
        self.reason: RefusalReason = reason


class UnusableOutput(ProviderError):
    """The provider answered, but what it made cannot be used (not an image, too big)."""
