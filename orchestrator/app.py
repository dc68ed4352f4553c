"""The FastAPI app: its lifespan builds the runtime and tears it down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from orchestrator.body_limit import BodySizeLimit
from orchestrator.frontend import FrontendFactory
from orchestrator.health import router as health_router
from orchestrator.moderation.api import router as moderation_router
from orchestrator.payments.routes import router as payments_router
from orchestrator.runtime import Runtime
from orchestrator.settings import Settings
from orchestrator.webhook import router as webhook_router


def create_app(
    settings: Settings, frontend_factory: FrontendFactory, *, run_worker: bool = True
) -> FastAPI:
    """Builds every component now (no I/O), so a bad configuration fails here, before
    the server starts; the lifespan starts them and stops them in reverse.

    ``run_worker`` False (Redis only): requests are queued for ``fulmine worker`` processes.
    """
    runtime = Runtime(settings, frontend_factory, run_worker=run_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Fulmine orchestrator", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.state.moderator = runtime.moderation.moderator  # for POST /api/v1/moderation/check
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.include_router(webhook_router)
    app.include_router(health_router)
    app.include_router(payments_router)
    app.include_router(moderation_router)
    return app
