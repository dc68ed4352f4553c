"""``GET /api/v1/models``: the models a client can pick, from the same catalog as the
Telegram bot's ``/models``, in the same order, with the same prices and descriptions.

Public: it names no provider, model id or weights reference (``CatalogEntry.public``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from orchestrator.catalog import Catalog

router = APIRouter()


@router.get("/api/v1/models")
async def list_models(request: Request) -> dict[str, Any]:
    catalog: Catalog = request.app.state.runtime.catalog
    return {"models": [entry.public() for entry in catalog.visible()]}
