"""A real S3-compatible server on loopback: moto in server mode, as its own process on a
free port, spoken to over HTTP by aiobotocore (the store) and httpx (a client following a
presigned link). Tests keep apart by bucket."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiobotocore.session import get_session

from tests.redis_server import free_port

START_TIMEOUT_S = 30.0
ACCESS_KEY_ID = "AKIAFULMINETEST00000"
SECRET_ACCESS_KEY = "fulmine-test-secret-access-key-0000000000"
REGION = "us-east-1"


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"moto server did not start on port {self.port}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/moto-api/data.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """One moto server for the session."""
    server = MotoServer()
    server.start()
    yield server
    server.stop()


async def new_bucket(server: MotoServer) -> str:
    """A fresh, empty bucket of the server."""
    name = f"fulmine-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=server.url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    ) as s3:
        await s3.create_bucket(Bucket=name)
    return name


def s3_settings(server: MotoServer, bucket: str) -> dict[str, Any]:
    """Settings for an S3 image store in ``bucket`` of the server."""
    return {
        "image_store": "s3",
        "image_s3_bucket": bucket,
        "image_s3_endpoint_url": server.url,
        "image_s3_region": REGION,
        "image_s3_access_key_id": ACCESS_KEY_ID,
        "image_s3_secret_access_key": SECRET_ACCESS_KEY,
    }
