"""The Payments settings block and the backend built from it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.payments.setup import build_payment_backend
from orchestrator.settings import MissingSetting, Settings, describe_validation_error
from providers.payments.btcpay import BtcpayBackend
from providers.payments.fake import FakePaymentBackend
from providers.payments.lnbits import LnbitsBackend
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

BASE = {
    "telegram_bot_token": BOT_TOKEN,
    "telegram_webhook_secret": WEBHOOK_SECRET,
    # A real backend's ledger must be on Redis; these tests only build settings and
    # backends, so nothing connects to it.
    "redis_url": "redis://127.0.0.1:6379/0",
}
LNBITS = {"lnbits_url": "http://lnbits.local:5000", "lnbits_invoice_key": "inkey-secret-1"}
BTCPAY = {
    "btcpay_url": "https://pay.example.org",
    "btcpay_api_key": "api-key-secret-2",
    "btcpay_store_id": "Store1",
    "btcpay_webhook_secret": "hook-secret-3",
}


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **{**BASE, **values})  # type: ignore[arg-type]


def test_payments_are_off_by_default() -> None:
    settings = _settings()
    assert settings.payments_backend == "none"
    assert settings.free_generations_per_day == 0
    assert build_payment_backend(settings) is None


@pytest.mark.parametrize(
    ("backend", "values", "missing"),
    [
        ("lnbits", {}, "LNBITS_URL"),
        ("lnbits", {"lnbits_url": "http://x"}, "LNBITS_INVOICE_KEY"),
        ("lnbits", {**LNBITS, "lnbits_invoice_key": " "}, "LNBITS_INVOICE_KEY"),
        ("btcpay", {**BTCPAY, "btcpay_store_id": None}, "BTCPAY_STORE_ID"),
        ("btcpay", {**BTCPAY, "btcpay_webhook_secret": ""}, "BTCPAY_WEBHOOK_SECRET"),
    ],
)
def test_a_chosen_backend_with_a_missing_setting_names_it(
    backend: str, values: dict[str, object], missing: str
) -> None:
    with pytest.raises(MissingSetting) as caught:
        _settings(payments_backend=backend, **values)
    assert caught.value.variable == missing
    assert f"PAYMENTS_BACKEND={backend}" in str(caught.value)


def test_unknown_backend_names_the_variable() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(payments_backend="paypal")
    assert "PAYMENTS_BACKEND" in describe_validation_error(caught.value)


def test_environment_selects_and_configures_btcpay(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**BASE, **BTCPAY, "payments_backend": " BTCPay "}.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("INVOICE_EXPIRY_S", "120")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    backend = build_payment_backend(settings)
    assert isinstance(backend, BtcpayBackend)
    assert backend.expiry_s == 120
    for secret in ("api-key-secret-2", "hook-secret-3"):
        assert secret not in repr(settings)
        assert secret in settings.secret_values()


def test_lnbits_webhook_url_comes_from_public_url() -> None:
    with_url = build_payment_backend(
        _settings(payments_backend="lnbits", public_url="https://bot.example.org/", **LNBITS)
    )
    assert isinstance(with_url, LnbitsBackend)
    assert with_url.webhook_url == "https://bot.example.org/payments/lnbits/webhook"
    without = build_payment_backend(_settings(payments_backend="lnbits", **LNBITS))
    assert isinstance(without, LnbitsBackend)
    assert without.webhook_url is None
    assert "inkey-secret-1" in _settings(payments_backend="lnbits", **LNBITS).secret_values()


def test_fake_backend_and_price_bounds() -> None:
    assert isinstance(build_payment_backend(_settings(payments_backend="fake")), FakePaymentBackend)
    with pytest.raises(ValidationError):
        _settings(price_generate_sats=0)
    with pytest.raises(ValidationError):
        _settings(invoice_expiry_s=10)
