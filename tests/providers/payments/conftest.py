"""Fixtures of the payment tests: the fake Greenfield server, the real LNbits, a webhook
recorder and one started backend per kind behind a common harness."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from orchestrator.serving.server import serve_in_background
from tests.providers.payments.harness import (
    BTCPAY_KEY,
    BTCPAY_STORE,
    BtcpayHarness,
    FakeHarness,
    Harness,
    LnbitsHarness,
)
from tests.services.btcpay_greenfield import FakeGreenfield
from tests.services.webhook_recorder import WebhookRecorder, webhook_recorder  # noqa: F401


@pytest.fixture
async def greenfield() -> AsyncIterator[tuple[FakeGreenfield, str]]:
    server = FakeGreenfield(BTCPAY_KEY, BTCPAY_STORE)
    async with serve_in_background(server.app) as url:
        yield server, url


@pytest.fixture(params=["fake", "btcpay", "lnbits"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    """A started backend of each kind; only the servers a kind needs are run (stopping one
    takes uvicorn ~0.2 s), and only the LNbits runs start the session's LNbits."""
    async with contextlib.AsyncExitStack() as servers:
        built: Harness
        if request.param == "fake":
            built = FakeHarness()
        else:
            recorder = WebhookRecorder()
            recorder.url = await servers.enter_async_context(serve_in_background(recorder.app))
            if request.param == "btcpay":
                server = FakeGreenfield(BTCPAY_KEY, BTCPAY_STORE)
                url = await servers.enter_async_context(serve_in_background(server.app))
                built = BtcpayHarness(server, url, recorder)
            else:
                built = LnbitsHarness(request.getfixturevalue("lnbits"), recorder)
        await built.backend.start()
        await built.backend.start()  # idempotent
        try:
            yield built
        finally:
            await built.backend.stop()
            await built.backend.stop()  # idempotent
