"""The S3-compatible image store (AWS S3, Cloudflare R2, MinIO, Backblaze B2...), through
aiobotocore: one bucket that every machine reaches.

Its links are S3 presigned GET URLs (SigV4, ``X-Amz-Expires``): clients fetch the bytes
from the bucket's endpoint, not through this process, and the bucket itself refuses a
changed or expired link (so ``serves_own_links`` is False; SigV4 allows at most 7 days).
The endpoint must therefore be one the clients can reach. Each object carries its content
type, which the bucket answers the download with.

Retention does not rely on a lifecycle rule (not every S3-compatible service has them):
``delete_older_than`` lists the store's prefix and deletes objects whose ``LastModified``
is older than the cutoff, at most 1000 a request. Keys live under ``prefix``, and the sweep
touches nothing outside it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from providers.storage.base import ImageStore, StoredImage, valid_key
from providers.storage.errors import StorageError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import ObjectIdentifierTypeDef

MAX_LINK_S = 7 * 86400  # SigV4's longest presigned link
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


class S3ImageStore(ImageStore):
    name = "s3"
    serves_own_links = False

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        timeout_s: float = 20.0,
    ) -> None:
        self._bucket = bucket
        self._endpoint_url = endpoint_url
        self._region = region
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._exit = contextlib.AsyncExitStack()
        self._client: S3Client | None = None

    async def start(self) -> None:
        if self._client is not None:
            return
        config = AioConfig(
            signature_version="s3v4",
            # A custom endpoint (MinIO, R2, a local server) takes the bucket in the path.
            s3={"addressing_style": "path" if self._endpoint_url else "auto"},
            connect_timeout=min(self._timeout_s, 5.0),
            read_timeout=self._timeout_s,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        creator = get_session().create_client(
            "s3",
            region_name=self._region,
            endpoint_url=self._endpoint_url,
            aws_access_key_id=self._access_key_id,
            aws_secret_access_key=self._secret_access_key,
            config=config,
        )
        self._client = await self._exit.enter_async_context(creator)

    async def stop(self) -> None:
        if self._client is not None:
            self._client = None
            await self._exit.aclose()

    def _s3(self) -> S3Client:
        if self._client is None:
            raise StorageError(self.name, "the store is not started")
        return self._client

    def _object(self, key: str) -> str:
        if not valid_key(key):
            raise StorageError(self.name, "invalid key")
        return self._prefix + key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self._object(key)
        try:
            await self._s3().put_object(
                Bucket=self._bucket, Key=name, Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(self.name, f"cannot write {key}: {_reason(exc)}") from exc

    async def get(self, key: str) -> StoredImage | None:
        name = self._object(key)
        try:
            answer = await self._s3().get_object(Bucket=self._bucket, Key=name)
            async with answer["Body"] as body:
                data = await body.read()
        except ClientError as exc:
            if _code(exc) in {"NoSuchKey", "404"}:
                return None
            raise StorageError(self.name, f"cannot read {key}: {_reason(exc)}") from exc
        except (BotoCoreError, aiohttp.ClientError) as exc:  # a body cut short too
            raise StorageError(self.name, f"cannot read {key}: {_reason(exc)}") from exc
        return StoredImage(data, answer.get("ContentType") or "application/octet-stream")

    async def signed_url(self, key: str, ttl_s: float) -> str:
        name = self._object(key)
        expires_in = max(1, min(MAX_LINK_S, int(ttl_s)))
        try:
            return await self._s3().generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket, "Key": name},
                ExpiresIn=expires_in,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(self.name, f"cannot sign {key}: {_reason(exc)}") from exc

    async def delete_older_than(self, cutoff: float) -> int:
        s3 = self._s3()
        deleted = 0
        try:
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._prefix
            )
            async for page in pages:
                old: list[ObjectIdentifierTypeDef] = [
                    {"Key": item["Key"]}
                    for item in page.get("Contents", [])
                    if item["LastModified"].timestamp() < cutoff
                ]
                for start in range(0, len(old), DELETE_BATCH):
                    batch = old[start : start + DELETE_BATCH]
                    answer = await s3.delete_objects(
                        Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True}
                    )
                    deleted += len(batch) - len(answer.get("Errors", []))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(self.name, f"retention sweep failed: {_reason(exc)}") from exc
        return deleted


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    """What went wrong, without the request's signature or credentials."""
    if isinstance(exc, ClientError):
        return _code(exc) or "error"
    return type(exc).__name__
