"""Run an ASGI app with uvicorn inside the current event loop, on a socket bound up front.

Binding first means port 0 works (the kernel picks a free port) and the caller knows the
address before the server accepts its first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

# How long an idle keep-alive connection is kept open. httpx (and so python-telegram-bot
# and the provider clients) drops its idle connections after 5 s, uvicorn's own default:
# a server that closes at the same moment races a client that has just sent a request on
# that connection, which then fails with a read error. The server waits well past the
# client (as a server behind a load balancer should outlast the balancer's idle timeout).
KEEP_ALIVE_S = 75


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serve_in_background(
    app: Any, host: str = "127.0.0.1", port: int = 0, **config: Any
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields its base URL (``http://host:port``).

    The app's lifespan runs before the block is entered and after it is left, so a
    failing start-up raises here instead of leaving a half-started server behind.
    """
    sock = bind_socket(host, port)
    config.setdefault("timeout_keep_alive", KEEP_ALIVE_S)
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", **config)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise the start-up failure
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.005)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
