"""The image store interface: results of jobs (and edit inputs) kept for a while and
served by signed links that expire.

Contract for every store:

- ``start()``/``stop()`` are idempotent; every other method needs the store started.
- ``put(key, data, content_type)`` keeps the bytes under ``key`` (a path of
  ``[A-Za-z0-9._-]`` parts joined by ``/``), replacing any earlier ones; ``get(key)``
  returns them with their content type, or None when nothing is kept under ``key``.
- ``signed_url(key, ttl_s)`` is a link anyone holding it can fetch the image by, for
  ``ttl_s`` seconds; changing any part of it (key, expiry, signature) makes it fail. A store
  that serves the bytes itself (``serves_own_links``) checks them with ``verify``.
- ``delete_older_than(cutoff)`` deletes what was put before the Unix time ``cutoff``
  and returns how many objects it deleted (the retention sweep).
- Failures raise ``providers.storage.errors.StorageError``; a store only translates: it
  maps its library's errors with ``raise StorageError(...) from exc``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def valid_key(key: str) -> bool:
    """A key the stores accept: no empty, ``.`` or ``..`` parts, nothing else odd."""
    return (
        len(key) <= 256
        and KEY_PATTERN.match(key) is not None
        and all(part not in {".", ".."} for part in key.split("/"))
    )


@dataclass(frozen=True, slots=True)
class StoredImage:
    data: bytes
    content_type: str


class ImageStore(ABC):
    name: str
    serves_own_links: bool = False

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients; idempotent."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close clients; idempotent."""

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> StoredImage | None: ...

    @abstractmethod
    async def signed_url(self, key: str, ttl_s: float) -> str: ...

    def verify(self, key: str, expires: str, signature: str) -> bool:
        """For stores that serve their own links: True when the link is intact and unexpired."""
        return False

    @abstractmethod
    async def delete_older_than(self, cutoff: float) -> int: ...
