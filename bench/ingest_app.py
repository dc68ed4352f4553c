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
from bot.frontend import TelegramFrontend
from orchestrator.app import create_app
from orchestrator.frontend import JobSubmitter
from orchestrator.serving.logs import configure_logging
from orchestrator.settings import Settings


class IdleFrontend(TelegramFrontend):
    """The Telegram front end's webhook (secret check, parse, de-duplication) with updates
    accepted and then dropped, and no Bot API behind it."""

    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        super().__init__(settings, submitter)
        self.handled = 0

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def process_update(self, data: dict[str, Any]) -> None:
        self.handled += 1

    async def ping(self) -> bool:
        return True


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
