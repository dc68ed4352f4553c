"""The FastAPI app: its lifespan builds the runtime and tears it down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import entry_points

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from orchestrator.frontend import FrontendFactory
from orchestrator.moderation.api import router as moderation_router
from orchestrator.payments.routes import router as payments_router
from orchestrator.runtime import Runtime
from orchestrator.serving.body_limit import BodySizeLimit
from orchestrator.serving.endpoints import DirectEndpoints
from orchestrator.serving.health import router as health_router
from orchestrator.settings import Settings

ROUTERS_GROUP = "fulmine.routers"


def load_routers() -> list[APIRouter]:
    """The routers other packages register under ``fulmine.routers`` (``GET /api/v1/models``)."""
    return [point.load() for point in entry_points(group=ROUTERS_GROUP)]


def create_app(
    settings: Settings,
    frontend_factories: FrontendFactory | Sequence[FrontendFactory],
    *,
    run_worker: bool = True,
    routers: Sequence[APIRouter] | None = None,
) -> FastAPI:
    """Builds every component now (no I/O), so a bad configuration fails here, before
    the server starts; the lifespan starts them and stops them in reverse. Each front end
    adds its own routes (the Telegram webhook, ...).

    ``run_worker`` False (Redis only): requests are queued for ``fulmine worker`` processes.
    ``routers``: routes of other packages (None: those registered, see ``load_routers``).
    """
    runtime = Runtime(settings, frontend_factories, run_worker=run_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    # /docs: the OpenAPI of the HTTP API (its examples included); the webhooks are hidden.
    app = FastAPI(title="Fulmine", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.runtime = runtime
    app.state.moderator = runtime.moderation.moderator  # for POST /api/v1/moderation/check
    # A front end that takes uploads names its paths and their larger limit.
    larger = {
        path: limit
        for frontend in runtime.frontends
        for path, limit in getattr(frontend, "body_limits", dict)().items()
    }
    # Paths a front end serves in plain ASGI (its webhook), behind the body limit.
    endpoints = {
        path: endpoint
        for frontend in runtime.frontends
        for path, endpoint in getattr(frontend, "endpoints", dict)().items()
    }
    if endpoints:
        app.add_middleware(DirectEndpoints, endpoints=endpoints)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes, larger=larger)
    if settings.api_cors_origins:  # browser clients of the HTTP API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api_cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["WWW-Authenticate", "Retry-After"],
        )
    for frontend in runtime.frontends:
        router = frontend.router()
        if router is not None:
            app.include_router(router)
    app.include_router(health_router)
    app.include_router(payments_router)
    app.include_router(moderation_router)
    for extra in load_routers() if routers is None else routers:
        app.include_router(extra)
    return app
