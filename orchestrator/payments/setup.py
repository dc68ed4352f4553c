"""The payment service of a runtime, built from settings: the backend named by
``PAYMENTS_BACKEND`` (None: payments are off and every request is free)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from orchestrator.payments.notices import PaymentNotifier
from orchestrator.payments.service import PaymentService
from orchestrator.settings import MissingSetting, Settings
from providers.payments import btcpay, lnbits
from providers.payments.base import PaymentBackend
from providers.payments.fake import FakePaymentBackend
from state.backend import StateBackend
from state.models import Job


def build_payments(
    settings: Settings,
    state: StateBackend,
    submit: Callable[[Job], Awaitable[None]],
    notifier: PaymentNotifier,
) -> PaymentService | None:
    backend = build_payment_backend(settings)
    if backend is None:
        return None
    return PaymentService(settings, backend, state, submit, notifier)


def payment_webhook_url(settings: Settings, path: str) -> str | None:
    """Where a service posts its webhooks, when PUBLIC_URL says where we are reachable."""
    if settings.public_url is None:
        return None
    return str(settings.public_url).rstrip("/") + path


def build_payment_backend(settings: Settings) -> PaymentBackend | None:
    expiry_s = float(settings.invoice_expiry_s)
    match settings.payments_backend:
        case "none":
            return None
        case "fake":
            return FakePaymentBackend(expiry_s=expiry_s)
        case "lnbits":
            if settings.lnbits_url is None or settings.lnbits_invoice_key is None:
                raise MissingSetting("LNBITS_URL", "and LNBITS_INVOICE_KEY are required")
            # Without PUBLIC_URL LNbits cannot call us: reconciliation finds the payments.
            return lnbits.LnbitsBackend(
                str(settings.lnbits_url),
                settings.lnbits_invoice_key,
                webhook_url=payment_webhook_url(settings, lnbits.WEBHOOK_PATH),
                expiry_s=expiry_s,
                admin_key=settings.lnbits_admin_key,
            )
        case "btcpay":
            if (
                settings.btcpay_url is None
                or settings.btcpay_api_key is None
                or settings.btcpay_store_id is None
                or settings.btcpay_webhook_secret is None
            ):
                raise MissingSetting("BTCPAY_URL", "and the other BTCPAY_* settings are required")
            return btcpay.BtcpayBackend(
                str(settings.btcpay_url),
                settings.btcpay_api_key,
                settings.btcpay_store_id,
                settings.btcpay_webhook_secret,
                expiry_s=expiry_s,
            )
    raise AssertionError(f"unhandled PAYMENTS_BACKEND {settings.payments_backend}")
