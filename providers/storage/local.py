"""The local filesystem image store (the embedded default): files under one directory,
served by this process at ``/api/v1/files/<key>`` with an HMAC-signed expiry.

The link is ``<base>/api/v1/files/<key>?expires=<unix time>&sig=<hex>``, where the
signature is HMAC-SHA256 of ``<key>\\n<expires>`` under the signing key: a changed key,
expiry or signature, or a past expiry, fails ``verify``. One machine only: several
machines need a store they all reach (S3).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from pathlib import Path

from providers.storage.base import ImageStore, StoredImage, valid_key
from providers.storage.errors import StorageError

FILES_PATH = "/api/v1/files/"
_TYPE_SUFFIX = ".type.json"  # the content type beside each file


def sign(secret: bytes, key: str, expires: str) -> str:
    return hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


class LocalImageStore(ImageStore):
    name = "local"
    serves_own_links = True

    def __init__(self, root: Path, secret: bytes, base_url: str = "") -> None:
        self._root = root
        self._secret = secret
        self._base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise StorageError(self.name, "invalid key")
        return self._root / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(self._write, path, data, content_type)
        except OSError as exc:
            raise StorageError(self.name, f"cannot write {key}: {exc.strerror}") from exc

    @staticmethod
    def _write(path: Path, data: bytes, content_type: str) -> None:
        partial = path.with_name(path.name + ".partial")
        try:
            partial.write_bytes(data)
        except FileNotFoundError:  # the key's folder does not exist yet (made only then)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
        path.with_name(path.name + _TYPE_SUFFIX).write_text(json.dumps(content_type))
        os.replace(partial, path)  # readers see the whole file or none

    async def get(self, key: str) -> StoredImage | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(self._read, path)
        except OSError as exc:
            raise StorageError(self.name, f"cannot read {key}: {exc.strerror}") from exc

    @staticmethod
    def _read(path: Path) -> StoredImage | None:
        if not path.is_file():
            return None
        content_type = json.loads(path.with_name(path.name + _TYPE_SUFFIX).read_text())
        return StoredImage(path.read_bytes(), str(content_type))

    async def signed_url(self, key: str, ttl_s: float) -> str:
        self._path(key)
        expires = str(int(time.time() + ttl_s))
        signature = sign(self._secret, key, expires)
        return f"{self._base_url}{FILES_PATH}{key}?expires={expires}&sig={signature}"

    def verify(self, key: str, expires: str, signature: str) -> bool:
        if not valid_key(key) or not expires.isdigit() or len(expires) > 12:
            return False
        expected = sign(self._secret, key, expires)
        return hmac.compare_digest(expected, signature) and int(expires) > time.time()

    async def delete_older_than(self, cutoff: float) -> int:
        try:
            return await asyncio.to_thread(self._delete_older_than, cutoff)
        except OSError as exc:
            raise StorageError(self.name, f"retention sweep failed: {exc.strerror}") from exc

    def _delete_older_than(self, cutoff: float) -> int:
        deleted = 0
        if not self._root.is_dir():
            return 0
        for path in sorted(self._root.rglob("*"), reverse=True):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                deleted += not path.name.endswith((_TYPE_SUFFIX, ".partial"))
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()  # an emptied job's directory
        return deleted
