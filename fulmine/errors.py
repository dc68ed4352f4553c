"""The one error tree of Fulmine. A refusal is an answer: the request is not served as
asked, nothing was done or kept, and the user is told why. A failure is a fault: something
broke on our side or a service's, and the user is told and not charged.

    FulmineError
    ├── Refusal
    │   ├── InvalidInput            (here) the request cannot be served as given: an
    │   │   │                       unreadable, oversized or missing image...
    │   │   ├── ImageTooLarge       more pixels than the limit (read from the header)
    │   │   ├── InvalidInitData     (miniapp.init_data) a Mini App's initData: forged,
    │   │   │                       missing or too old
    │   │   ├── UnknownModel        (orchestrator.catalog.errors) not a model offered
    │   │   └── UnknownLora         (orchestrator.catalog.errors) not one of its LoRAs
    │   ├── ContentRefused          (providers.errors) a provider's own safety policy
    │   ├── RateLimited             (state.errors) a limit; ``retry_after_s`` says when
    │   ├── InsufficientCredits     (state.errors) the balance is short (nothing taken)
    │   ├── ModerationRefusal       (orchestrator.moderation.errors)
    │   │   ├── UserBanned
    │   │   ├── UserThrottled
    │   │   └── ContentBlocked
    │   │       ├── PromptBlocked
    │   │       ├── InputImageBlocked
    │   │       └── OutputImagesBlocked
    │   └── PaymentRefusal          (orchestrator.payments.errors)
    │       ├── PaymentRequired     parked until its invoice is paid
    │       ├── CreditShort         short, and nowhere to show an invoice (inline)
    │       └── PaymentsUnavailable no invoice could be issued (nothing taken)
    └── Failure
        ├── ProviderError           (providers.errors)
        │   ├── ProviderTimeout
        │   ├── ProviderUnavailable another provider may work
        │   └── UnusableOutput
        ├── PaymentError            (providers.payments.errors)
        │   ├── PaymentBackendUnavailable
        │   ├── PaymentBackendRejected
        │   ├── InvoiceNotFound
        │   ├── InvalidWebhook
        │   └── PayoutsUnsupported  refunds cannot be paid out by this backend
        ├── StorageError            (providers.storage.errors) the image store
        ├── StateError              (state.errors)
        │   └── StateUnavailable
        ├── ModerationError         (orchestrator.moderation.errors) the checks themselves
        │   ├── ModeratorNotStarted
        │   ├── UnreadableImage
        │   ├── TermListError
        │   └── HostedClassifierError  no verdict from the hosted classifier (local decides)
        └── JobError                (orchestrator.errors) the orchestrator gave up a job
            ├── JobExpired
            ├── JobAbandoned
            ├── DeliveryUncertain
            └── JobCancelled        its sender cancelled it (``/cancel``, the Cancel button)

So ``except Refusal`` and ``except Failure`` never overlap, and no clause order matters
between them. Each module defines the leaves it raises; adapters map a library's errors
into the tree with ``raise X(...) from exc``. The GPU server, a deployable of its own,
keeps its own errors (``gpu_server.errors``), which its HTTP answers carry.

:func:`request_never_left` is the one test of whether an HTTP request that failed can
have reached its server: only then is repeating a non-idempotent call safe.
"""

from __future__ import annotations

import httpx


class FulmineError(Exception):
    """Base of every error Fulmine raises on purpose."""


class Refusal(FulmineError):
    """The request is not served as asked; nothing was done, and the user is told why."""


class Failure(FulmineError):
    """Something broke (a provider, the state store, a payment service, delivery...)."""


class InvalidInput(Refusal):
    """The request cannot be served as given; ``source`` says who found it so (a provider's
    name, ``telegram``, ``moderation``, ``input``), ``detail`` what is wrong."""

    def __init__(self, source: str, detail: str = "") -> None:
        super().__init__(f"{source}: {detail}" if detail else source)
        self.source = source
        self.detail = detail


class ImageTooLarge(InvalidInput):
    """An image has more pixels than ``limit`` (its header says ``width`` x ``height``)."""

    def __init__(self, source: str, width: int, height: int, limit: int) -> None:
        super().__init__(source, f"image is {width}x{height} pixels, limit {limit}")
        self.width = width
        self.height = height
        self.limit = limit


# httpx raises these before a byte of the request was sent: no connection was made, or
# none was free in the pool.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def request_never_left(error: BaseException | None) -> bool:
    """True when the failed request certainly never reached its server: the error, or one
    it was raised from (a client library wraps httpx's), is a connect or pool failure."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, _UNSENT):
            return True
        error, seen = error.__cause__, seen + 1
    return False
