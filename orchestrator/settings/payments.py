"""Settings of payments (``orchestrator/payments/``, Lightning and Telegram Stars), mixed
into :class:`orchestrator.settings.Settings`; the checks that need other settings (a
backend's keys, Redis) stay there."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings


class PaymentSettings(BaseSettings):
    # Payments: Lightning invoices in sats. "none": every request is free.
    payments_backend: Literal["none", "fake", "lnbits", "btcpay"] = "none"
    price_generate_sats: int = Field(default=100, ge=1)  # per image
    price_edit_sats: int = Field(default=100, ge=1)  # per image
    free_generations_per_day: int = Field(default=0, ge=0)  # per user, used before credits
    # Whether ADMIN_USER_IDS pay for their own images like everyone (off: never invoiced).
    admins_pay: bool = False
    invoice_expiry_s: int = Field(default=900, ge=60, le=86400)  # BTCPay rounds up to minutes
    lnbits_url: AnyHttpUrl | None = None
    lnbits_invoice_key: SecretStr | None = None  # the wallet's invoice/read key, never admin
    # The same wallet's admin key, used only to pay refunds out (unset: no payouts; refund
    # claims are spent on new requests instead).
    lnbits_admin_key: SecretStr | None = None
    btcpay_url: AnyHttpUrl | None = None
    btcpay_api_key: SecretStr | None = None  # can create + view invoices of the store
    btcpay_store_id: str | None = None
    btcpay_webhook_secret: SecretStr | None = None  # the store webhook's secret
    payments_reconcile_s: float = Field(default=30.0, gt=0)  # re-check pending invoices
    # Telegram Stars beside Lightning (orchestrator/payments/stars.py): what one credit (the
    # ledger's unit, one sat) costs in Stars, rounded up per invoice; 0: Stars are off.
    stars_per_credit: float = Field(default=0.0, ge=0, le=1000)
    # A job paid in Stars that fails: "refund" (refundStarPayment) or "credit" (kept).
    stars_failed_job: Literal["refund", "credit"] = "refund"
    # Group pools (/fund, /allowance, /pool): images a member may draw from a group's pool
    # per UTC day until the funders set a cap of their own.
    pool_daily_cap: int = Field(default=10, ge=0, le=100)
    # Who answers /paysupport (a @username, an e-mail address or a link); shown as is.
    payment_support_contact: str = Field(default="", max_length=200)
    # /buy answers with an invoice (a reused one too) at most this often per user; 0: no limit.
    topup_invoices_per_hour: int = Field(default=5, ge=0)
    # Unpaid, unexpired top-up invoices one user may hold at once.
    topup_open_invoices_max: int = Field(default=3, ge=1)
    # Webhooks about our invoices checked with the backend, per second and process (a burst
    # of as many); more are answered 503 and left to reconciliation.
    payment_webhook_checks_per_s: float = Field(default=10.0, gt=0)
    # A reservation held this long whose job is neither queued nor running (its process
    # died) is settled by the reconciliation loop: released, or captured if it was delivered.
    reservation_sweep_grace_s: float = Field(default=600.0, gt=0)

    @field_validator("payments_backend", mode="before")
    @classmethod
    def _backend_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value
