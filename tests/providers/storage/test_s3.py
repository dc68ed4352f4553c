"""What only the S3 store does, against a real S3-compatible server (moto): keys under its
prefix, the sweep leaving the rest of a shared bucket alone, presigned links that name the
bucket's endpoint, and every failure of the service a ``StorageError`` that holds no
secret."""

from __future__ import annotations

import time

import pytest
from aiobotocore.session import get_session

from providers.storage.errors import StorageError
from providers.storage.s3 import MAX_LINK_S, S3ImageStore
from tests.providers.storage.conftest import s3_store
from tests.redis_server import free_port
from tests.services.s3_server import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    MotoServer,
    new_bucket,
)


async def keys_in(server: MotoServer, bucket: str) -> list[str]:
    async with get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    ) as s3:
        listed = await s3.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_keys_live_under_the_prefix_and_the_sweep_stays_there(
    s3_server: MotoServer,
) -> None:
    bucket = await new_bucket(s3_server)
    ours, neighbour = await s3_store(s3_server, bucket), await s3_store(s3_server, bucket, "")
    await ours.start()
    await neighbour.start()
    try:
        await ours.put("images/a/0.png", b"ours", "image/png")
        await neighbour.put("backups/db.dump", b"not ours", "application/octet-stream")
        assert await keys_in(s3_server, bucket) == ["backups/db.dump", "fulmine/images/a/0.png"]

        assert await ours.delete_older_than(time.time() + 60) == 1
        assert await keys_in(s3_server, bucket) == ["backups/db.dump"]
    finally:
        await ours.stop()
        await neighbour.stop()


async def test_links_point_at_the_endpoint_and_last_at_most_seven_days(
    s3_server: MotoServer,
) -> None:
    store = await s3_store(s3_server, await new_bucket(s3_server))
    await store.start()
    try:
        url = await store.signed_url("images/a/0.png", 30 * 86400)
        assert url.startswith(f"{s3_server.url}/")
        assert "/fulmine/images/a/0.png?" in url
        assert f"X-Amz-Expires={MAX_LINK_S}" in url
        assert f"X-Amz-Credential={ACCESS_KEY_ID}" in url
        assert SECRET_ACCESS_KEY not in url
    finally:
        await store.stop()


async def test_a_missing_bucket_is_a_storage_error(s3_server: MotoServer) -> None:
    store = await s3_store(s3_server, "no-such-bucket-here")
    await store.start()
    try:
        with pytest.raises(StorageError) as put:
            await store.put("images/a/0.png", b"x", "image/png")
        assert put.value.detail.endswith("NoSuchBucket")
        with pytest.raises(StorageError):
            await store.get("images/a/0.png")
        with pytest.raises(StorageError):
            await store.delete_older_than(time.time())
    finally:
        await store.stop()


async def test_an_unreachable_endpoint_is_a_storage_error_without_secrets() -> None:
    store = S3ImageStore(
        "bucket",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
        timeout_s=2,
    )
    await store.start()
    try:
        with pytest.raises(StorageError) as failed:
            await store.put("images/a/0.png", b"x", "image/png")
        assert SECRET_ACCESS_KEY not in str(failed.value)
        assert ACCESS_KEY_ID not in str(failed.value)
    finally:
        await store.stop()


async def test_a_store_not_started_says_so() -> None:
    store = S3ImageStore("bucket", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(StorageError, match="not started"):
        await store.get("images/a/0.png")
