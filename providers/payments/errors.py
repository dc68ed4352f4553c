"""Errors a payment backend raises, in the tree of :mod:`fulmine.errors`. Each carries what
the caller needs to decide."""

from __future__ import annotations

from fulmine.errors import Failure


class PaymentError(Failure):
    """Base class: something went wrong talking to the payment service."""

    def __init__(self, backend: str, detail: str = "") -> None:
        super().__init__(f"{backend}: {detail}" if detail else backend)
        self.backend = backend
        self.detail = detail


class PaymentBackendUnavailable(PaymentError):
    """Down, unreachable, too slow or failing (5xx): nothing was decided; try later."""


class PaymentBackendRejected(PaymentError):
    """The service refused the request (credentials, permissions, validation, missing
    Lightning setup): an operator has to act, retrying cannot help."""

    def __init__(self, backend: str, status_code: int | None, detail: str) -> None:
        super().__init__(backend, f"{detail} (HTTP {status_code})" if status_code else detail)
        self.status_code = status_code


class InvoiceNotFound(PaymentError):
    def __init__(self, backend: str, invoice_id: str) -> None:
        super().__init__(backend, f"invoice {invoice_id} not found")
        self.invoice_id = invoice_id


class InvalidWebhook(PaymentError):
    """The webhook is not authentic or not understood; nothing in it may be acted on."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(backend, f"webhook rejected: {reason}")
        self.reason = reason


class PayoutsUnsupported(PaymentError):
    """The backend cannot pay invoices out (no key that may spend, or no such feature):
    a refund claim stays where it is, spendable on a new request."""

    def __init__(self, backend: str) -> None:
        super().__init__(backend, "this backend does not pay invoices out")
