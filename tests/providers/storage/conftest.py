"""Every image store, started on its real backend: a directory, or a bucket of a real
S3-compatible server (moto, its own process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.storage.base import ImageStore
from providers.storage.local import LocalImageStore
from providers.storage.s3 import S3ImageStore
from tests.services.s3_server import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    MotoServer,
    new_bucket,
    s3_server,
)

__all__ = ["s3_server"]
LINK_KEY = b"k" * 32


async def s3_store(server: MotoServer, bucket: str, prefix: str = "fulmine/") -> S3ImageStore:
    return S3ImageStore(
        bucket,
        endpoint_url=server.url,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
        prefix=prefix,
    )


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ImageStore]:
    if request.param == "local":
        kept: ImageStore = LocalImageStore(tmp_path / "images", LINK_KEY, "http://files.test")
    else:
        server: MotoServer = request.getfixturevalue("s3_server")
        kept = await s3_store(server, await new_bucket(server))
    await kept.start()
    await kept.start()  # idempotent
    yield kept
    await kept.stop()
    await kept.stop()
