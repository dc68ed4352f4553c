"""The contract of ``providers.storage.base.ImageStore``, run over every store: bytes and
content type kept and replaced, keys checked, links that fetch the image and carry their
expiry, and the retention sweep deleting only what is older than its cutoff."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from providers.storage.base import ImageStore
from providers.storage.errors import StorageError
from providers.storage.local import FILES_PATH
from tests.conftest import png_bytes

BAD_KEYS = ["", "../secret", "a//b", "a/./b", "a b", "images/0.png/", "/abs", "x" * 300]


async def fetch(store: ImageStore, url: str) -> tuple[int, bytes, str]:
    """Follow a link as a client would. A store serving its own links is asked exactly what
    ``GET /api/v1/files/<key>`` asks it; any other link is fetched from where it points."""
    if not store.serves_own_links:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url)
        return response.status_code, response.content, response.headers.get("content-type", "")
    parts = urlsplit(url)
    key = parts.path.split(FILES_PATH, 1)[1]
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    if not store.verify(key, query.get("expires", ""), query.get("sig", "")):
        return 403, b"", ""
    stored = await store.get(key)
    return (404, b"", "") if stored is None else (200, stored.data, stored.content_type)


def link_life_s(store: ImageStore, url: str) -> float:
    """How long a link says it is good for, from now."""
    query = parse_qs(urlsplit(url).query)
    if store.serves_own_links:
        return int(query["expires"][0]) - time.time()
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Signature"][0]
    return float(query["X-Amz-Expires"][0])


async def test_put_then_get_keeps_bytes_and_type(store: ImageStore) -> None:
    image = png_bytes()
    await store.put("images/job1/0.png", image, "image/png")
    kept = await store.get("images/job1/0.png")
    assert kept is not None
    assert kept.data == image
    assert kept.content_type == "image/png"
    await store.put("images/job1/0.png", b"second", "image/webp")
    replaced = await store.get("images/job1/0.png")
    assert replaced is not None
    assert (replaced.data, replaced.content_type) == (b"second", "image/webp")


async def test_nothing_kept_is_none(store: ImageStore) -> None:
    assert await store.get("images/nothing/0.png") is None


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_odd_keys_are_refused(store: ImageStore, key: str) -> None:
    with pytest.raises(StorageError):
        await store.put(key, b"data", "image/png")
    with pytest.raises(StorageError):
        await store.get(key)
    with pytest.raises(StorageError):
        await store.signed_url(key, 60)


async def test_link_fetches_the_image_and_carries_its_life(store: ImageStore) -> None:
    image = png_bytes()
    await store.put("images/job2/0.png", image, "image/png")
    url = await store.signed_url("images/job2/0.png", 600)
    assert await fetch(store, url) == (200, image, "image/png")
    assert 590 <= link_life_s(store, url) <= 600
    await store.put("images/job2/1.png", b"other", "image/png")
    other = await store.signed_url("images/job2/1.png", 600)
    assert url != other


async def test_a_link_to_nothing_kept_fetches_nothing(store: ImageStore) -> None:
    url = await store.signed_url("images/gone/0.png", 600)
    code, data, _ = await fetch(store, url)
    assert code in {403, 404}  # S3 answers 403 to a key it lacks when listing is not allowed
    assert data != png_bytes()


async def test_sweep_deletes_only_what_is_older_than_the_cutoff(store: ImageStore) -> None:
    await store.put("images/old/0.png", b"old", "image/png")
    await store.put("inputs/old", b"old input", "image/jpeg")
    # S3 keeps LastModified to the second: the cutoff stands well clear of both sides.
    await asyncio.sleep(1.2)
    cutoff = time.time()
    await asyncio.sleep(1.2)
    await store.put("images/new/0.png", b"new", "image/png")

    assert await store.delete_older_than(cutoff - 3600) == 0
    assert await store.delete_older_than(cutoff) == 2
    assert await store.get("images/old/0.png") is None
    assert await store.get("inputs/old") is None
    kept = await store.get("images/new/0.png")
    assert kept is not None
    assert kept.data == b"new"
    assert await store.delete_older_than(cutoff) == 0
    assert await store.delete_older_than(time.time() + 60) == 1
    assert await store.get("images/new/0.png") is None
