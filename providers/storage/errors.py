"""Errors of an image store, in the tree of :mod:`fulmine.errors`."""

from __future__ import annotations

from fulmine.errors import Failure


class StorageError(Failure):
    """The image store could not keep or read an image (disk, network, credentials)."""

    def __init__(self, store: str, detail: str) -> None:
        super().__init__(f"{store}: {detail}")
        self.store = store
        self.detail = detail
