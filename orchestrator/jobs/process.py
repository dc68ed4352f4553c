"""``fulmine worker``: the runtime without the HTTP server, until SIGTERM or SIGINT.

It needs the front ends as much as ``fulmine serve`` does: they send the photos.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import structlog

from orchestrator.frontend import FrontendFactory
from orchestrator.runtime import Runtime
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)


async def run_worker_process(
    settings: Settings, frontend_factories: Sequence[FrontendFactory]
) -> None:
    runtime = Runtime(settings, frontend_factories, run_worker=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runtime.start()
    log.info("worker_started")
    try:
        await stop.wait()
        log.info("worker_stopping")
    finally:
        # Stops claiming; running jobs get SHUTDOWN_GRACE_S, then go back to the queue.
        await runtime.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
