"""Serving a fake on this event loop with uvicorn, over TLS if asked, on a given socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import uvicorn


@dataclass(frozen=True)
class TlsFiles:
    """A test CA (``ca_file``, for SSL_CERT_FILE) and a server certificate it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, folder: Path) -> TlsFiles:
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        files = cls(folder / "ca.pem", folder / "server.pem", folder / "server.key")
        ca.cert_pem.write_to_path(str(files.ca_file))
        server.cert_chain_pems[0].write_to_path(str(files.cert_file))
        for extra in server.cert_chain_pems[1:]:
            extra.write_to_path(str(files.cert_file), append=True)
        server.private_key_pem.write_to_path(str(files.key_file))
        return files


@contextlib.asynccontextmanager
async def serve(
    app: Any, sock: socket.socket | None = None, tls: TlsFiles | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields its base URL.

    ``sock`` is duplicated, so the caller's socket (and its port) outlives the server.
    """
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        owned = sock
    else:
        sock, owned = sock.dup(), None
    extra: dict[str, Any] = {}
    if tls is not None:
        extra = {"ssl_certfile": str(tls.cert_file), "ssl_keyfile": str(tls.key_file)}
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1, **extra
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("fake server stopped during start-up")
            await asyncio.sleep(0.005)
        host, port = sock.getsockname()[:2]
        yield f"{'https' if tls else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
        if owned is not None:
            owned.close()
