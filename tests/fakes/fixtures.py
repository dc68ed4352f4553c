"""Fixtures serving the fake providers; loaded by ``tests/conftest.py`` (pytest_plugins).

Each fake refuses, at teardown, to have seen the bot's token in any request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from tests.fakes.fal import FakeFal
from tests.fakes.hosts import FAL_SOCKET
from tests.fakes.recording import RequestLog
from tests.fakes.replicate import FakeReplicate
from tests.fakes.serving import TlsFiles, serve

REPLICATE_TOKEN = "r8_FakeReplicateToken0123456789"
FAL_KEY = "fake-key-id:fake-key-secret"
FAST_RETRIES: dict[str, Any] = {
    "provider_backoff_s": 0.01,
    "provider_max_wait_s": 2.0,
    "provider_poll_interval_s": 0.01,
    "provider_request_timeout_s": 2.0,
}
"""Settings that keep retry waits and polls short in tests."""


def assert_never_sent(log: RequestLog, secrets: list[str]) -> None:
    for secret in secrets:
        leaked = log.containing(secret)
        assert leaked == [], f"a request to a fake carried a secret: {leaked[0].method} ..."


def _bot_secrets() -> list[str]:
    from tests.conftest import BOT_TOKEN

    return [BOT_TOKEN, BOT_TOKEN.split(":", 1)[1]]


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return TlsFiles.create(tmp_path_factory.mktemp("tls"))


ReplicateT = TypeVar("ReplicateT", bound=FakeReplicate)


@asynccontextmanager
async def serving_replicate(fake: ReplicateT) -> AsyncIterator[ReplicateT]:
    """``fake`` served on loopback; afterwards, proof that no bot secret reached it."""
    async with serve(fake.app) as url:
        fake.base_url = url
        try:
            yield fake
        finally:
            fake.release()
    assert_never_sent(fake.log, _bot_secrets())


@pytest.fixture
async def fake_replicate() -> AsyncIterator[FakeReplicate]:
    async with serving_replicate(FakeReplicate(REPLICATE_TOKEN)) as fake:
        yield fake


@pytest.fixture
async def fake_fal(tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    """The fake fal over TLS on the session's fal host, trusted through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca_file))
    fake = FakeFal(FAL_KEY)
    async with serve(fake.app, FAL_SOCKET, tls_files) as url:
        fake.base_url = url
        try:
            yield fake
        finally:
            fake.release()
    assert_never_sent(fake.log, _bot_secrets())


def hosted_settings(
    replicate: FakeReplicate | None = None, fal: FakeFal | None = None
) -> dict[str, Any]:
    """Settings overrides pointing the hosted providers at the fakes given."""
    values: dict[str, Any] = dict(FAST_RETRIES)
    if replicate is not None:
        values |= {"replicate_api_token": REPLICATE_TOKEN, "replicate_base_url": replicate.base_url}
    if fal is not None:
        values["fal_key"] = FAL_KEY
    return values
