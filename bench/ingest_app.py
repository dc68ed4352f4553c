"""The two servers of the ingest bench, each run as ``fulmine serve`` runs its app.

    python -m bench.ingest_app fulmine|bare PORT

``fulmine``: the real app (body limit, secret check, parse, de-duplication in the memory
store, a background task per update) with a front end whose ``process_update`` does
nothing, so that the figure is ingest alone, not the handling of commands (measured by the
overhead bench). ``bare``: a FastAPI endpoint that returns 200, nothing else.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from starlette.types import ASGIApp

from bench.support import bench_settings, register_bench_providers
from orchestrator.app import create_app
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.notices import PaymentNotice
from orchestrator.serving.logs import configure_logging
from orchestrator.settings import Settings
from providers.base import ProviderImage
from state.models import Job


class IdleFrontend:
    """Accepts every update and does nothing with it."""

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self.handled = 0

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def process_update(self, data: dict[str, Any]) -> None:
        self.handled += 1

    async def fetch_input_image(self, job: Job) -> bytes:
        raise NotImplementedError

    async def show_progress(self, job: Job) -> None:
        pass

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        pass

    async def report_failure(self, job: Job, error: BaseException) -> None:
        pass

    async def ping(self) -> bool:
        return True

    async def notify_payment(self, notice: PaymentNotice) -> int | None:
        return None  # payments are off in the bench

    async def show_queue_position(self, job: Job, ahead: int | None) -> None:
        pass


def bare_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None)

    @app.post("/telegram/webhook")
    async def webhook() -> Response:
        return Response(status_code=200)

    return app


def main(kind: str, port: int) -> None:
    register_bench_providers()
    settings = bench_settings("http://127.0.0.1:9", log_level="INFO")
    configure_logging(settings.log_level, settings.secret_values())
    app: ASGIApp = bare_app() if kind == "bare" else create_app(settings, IdleFrontend)
    # The arguments of `fulmine serve` (orchestrator/cli.py).
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
