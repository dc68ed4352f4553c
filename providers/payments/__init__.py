"""Lightning payment backends: one interface (:mod:`providers.payments.base`), one module
per backend (``fake``, ``lnbits``, ``btcpay``)."""
