"""Prometheus metrics on an internal port of their own (``METRICS_PORT``).

The public ``/metrics`` shows revenue and moderation counts, so it needs ``METRICS_TOKEN``.
A scraper that cannot send a token (Fly's built-in one, say) reads this port instead,
which a deployment does not expose to the internet. It serves the process's registry with
prometheus-client's own small HTTP server (a thread); the queue depth is refreshed here
every few seconds, since nobody calls the public route to do it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import start_http_server

from orchestrator.serving.metrics import QUEUE_DEPTH
from state.base import JobQueue

log = structlog.get_logger(__name__)
REFRESH_S = 5.0


class MetricsPort:
    def __init__(self, host: str, port: int, queue: JobQueue) -> None:
        self._host, self._port, self._queue = host, port, queue
        self._server: tuple[WSGIServer, threading.Thread] | None = None
        self._refresh: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (the configured one, or the kernel's pick for 0)."""
        return self._server[0].server_port if self._server is not None else self._port

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = start_http_server(self._port, addr=self._host)
        self._refresh = asyncio.create_task(self._keep_refreshing())
        log.info("metrics_port_listening", host=self._host, port=self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        server, thread = self._server
        self._server = self._refresh = None
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        await asyncio.to_thread(thread.join, 5)

    async def _keep_refreshing(self) -> None:
        while True:
            try:
                QUEUE_DEPTH.set(await self._queue.pending())
            except Exception:  # a down queue must not stop the metrics
                QUEUE_DEPTH.set(float("nan"))
            await asyncio.sleep(REFRESH_S)
