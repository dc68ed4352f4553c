"""The HTTP API with its images in an S3-compatible bucket (moto, a real server of its
own): invoice, paid, completed, and the image fetched from the bucket by its presigned link;
an edit's input kept there too. The local store's file route serves none of them."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import ApiStack
from tests.api.test_end_to_end import order, until_done
from tests.conftest import png_bytes
from tests.services.s3_server import MotoServer, new_bucket, s3_server, s3_settings

__all__ = ["s3_server"]


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}  # the store is what differs here; state in memory is enough


@pytest.fixture
async def api_overrides(s3_server: MotoServer) -> dict[str, Any]:
    return s3_settings(s3_server, await new_bucket(s3_server))


async def test_paid_image_is_fetched_from_the_bucket_by_its_link(
    api: ApiStack, s3_server: MotoServer
) -> None:
    invoice_id = (await order(api))["invoice_id"]
    assert (await api.http.get(f"/api/v1/image/{invoice_id}")).status_code == 402
    assert (await api.http.post(f"/api/v1/dev/pay/{invoice_id}")).status_code == 200

    code, done = await until_done(api, invoice_id)
    assert code == 200, done
    assert done["status"] == "completed"
    (image,) = done["images"]
    url = image["url"]
    assert url.startswith(f"{s3_server.url}/")
    assert f"/fulmine/images/{invoice_id}/0.png?" in url
    assert "X-Amz-Expires=3600" in url

    async with httpx.AsyncClient(timeout=10) as client:  # a client of its own, no API
        fetched = await client.get(url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(fetched.content)).size == (image["width"], image["height"])

    files = await api.http.get(f"/api/v1/files/images/{invoice_id}/0.png")
    assert files.status_code == 403


async def test_an_edit_reads_its_input_back_from_the_bucket(api: ApiStack) -> None:
    source = png_bytes()
    body = {"kind": "edit", "image": base64.b64encode(source).decode()}
    invoice_id = (await order(api, **body))["invoice_id"]
    store = api.runtime.frontend("api").store  # type: ignore[attr-defined]
    kept = await store.get(f"inputs/{invoice_id}")
    assert kept is not None
    assert kept.data == source
    assert (await api.http.post(f"/api/v1/dev/pay/{invoice_id}")).status_code == 200
    code, done = await until_done(api, invoice_id)
    assert code == 200, done
    assert done["status"] == "completed"
