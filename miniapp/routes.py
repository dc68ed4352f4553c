"""The Mini App's routes: the page and its files under ``/app``, the JSON API under
``/app/api`` (every call authenticated by initData, see ``miniapp.auth``)."""

from __future__ import annotations

import io
from dataclasses import asdict
from importlib import resources
from typing import Annotated, TypeVar

import segno
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from miniapp.actions import follow_up
from miniapp.auth import require_admin, user_of
from miniapp.jobs import job_status, start_job
from miniapp.schemas import EditBody, FollowUp, NewImage, Purchase, SettingsBody
from orchestrator.frontend import JobSubmitter
from orchestrator.gallery import GalleryItem
from orchestrator.payments.history import MAX_EVENTS, account_history
from orchestrator.preferences import ASPECT_RATIOS, MAX_IMAGES
from orchestrator.settings import Settings
from state.models import JobKind

STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "balance.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Scripts from this origin and Telegram's own; images from the image store's links (this
# origin, or a bucket's https host) and data: (QR codes); API calls to this origin only.
CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org; "
    "img-src 'self' https: data: blob:; "
    "style-src 'self'; connect-src 'self'; frame-ancestors https://web.telegram.org"
)


def _item(item: GalleryItem) -> dict[str, object]:
    entry = item.entry
    return {
        "id": entry.id,
        "prompt": entry.prompt,
        "model": entry.model,
        "aspect_ratio": entry.aspect_ratio,
        "seed": entry.seed,
        "kind": entry.kind,
        "created_at": entry.created_at,
        "urls": item.urls,
    }


M = TypeVar("M", bound=BaseModel)


async def body_of(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; read only once the caller is authenticated."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError:
        raise HTTPException(422, "invalid body") from None


def qr_svg(bolt11: str) -> str:
    buffer = io.BytesIO()
    segno.make(f"LIGHTNING:{bolt11.upper()}", error="m").save(buffer, kind="svg", scale=6, border=4)
    return buffer.getvalue().decode()


def build_router(settings: Settings, submitter: JobSubmitter) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    api = APIRouter(prefix="/app/api", include_in_schema=False)

    @router.get("/app")
    @router.get("/app/")
    async def page() -> Response:
        return await static("index.html")

    @router.get("/app/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404)
        data = resources.files("miniapp").joinpath("static", name).read_bytes()
        headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
        return Response(data, media_type=STATIC[name], headers=headers)

    @api.get("/me")
    async def me(request: Request) -> dict[str, object]:
        user = user_of(request, settings)
        saved = await submitter.preferences(user.id)
        return {
            "user": {"id": user.id, "first_name": user.first_name},
            "admin": user.id in settings.admin_user_ids,
            "models": [entry.public() for entry in submitter.catalog.visible(JobKind.GENERATE)],
            "aspect_ratios": list(ASPECT_RATIOS),
            "max_images": MAX_IMAGES,
            "max_prompt_chars": settings.max_prompt_chars,
            "can_enhance": submitter.can_enhance,
            "payments": submitter.payments is not None,
            "settings": {
                "model": saved.model_for(JobKind.GENERATE),
                "aspect_ratio": saved.aspect_ratio,
                "num_images": saved.num_images,
                "enhance": saved.enhance,
            },
        }

    @api.get("/gallery")
    async def gallery(
        request: Request,
        before: Annotated[float | None, Query(ge=0)] = None,
        limit: Annotated[int, Query(ge=1, le=60)] = 24,
    ) -> dict[str, object]:
        user = user_of(request, settings)
        items = await submitter.gallery.page(user.id, before, limit)
        return {"items": [_item(item) for item in items]}

    @api.get("/gallery/{entry_id}")
    async def gallery_item(request: Request, entry_id: str) -> dict[str, object]:
        user = user_of(request, settings)
        found = await submitter.gallery.item(user.id, entry_id[:64])
        if found is None:
            raise HTTPException(404, "no such image")
        return _item(found)

    @api.delete("/gallery/{entry_id}")
    async def delete_one(request: Request, entry_id: str) -> dict[str, object]:
        user = user_of(request, settings)
        return {"deleted": int(await submitter.gallery.delete(user.id, entry_id[:64]))}

    @api.delete("/gallery")
    async def delete_all(request: Request) -> dict[str, object]:
        user = user_of(request, settings)
        return {"deleted": await submitter.gallery.clear(user.id)}

    @api.post("/gallery/{entry_id}/variations")
    async def variations(request: Request, entry_id: str) -> JSONResponse:
        user = user_of(request, settings)
        body = await body_of(request, FollowUp)
        return await follow_up(settings, submitter, user, entry_id, "variations", body)

    @api.post("/gallery/{entry_id}/upscale")
    async def upscale(request: Request, entry_id: str) -> JSONResponse:
        user = user_of(request, settings)
        body = await body_of(request, FollowUp)
        return await follow_up(settings, submitter, user, entry_id, "upscale", body)

    @api.post("/gallery/{entry_id}/edit")
    async def edit(request: Request, entry_id: str) -> JSONResponse:
        user = user_of(request, settings)
        body = await body_of(request, EditBody)
        return await follow_up(settings, submitter, user, entry_id, "edit", body)

    @api.post("/generate")
    async def generate(request: Request) -> JSONResponse:
        user = user_of(request, settings)
        return await start_job(settings, submitter, user, await body_of(request, NewImage))

    @api.get("/jobs/{job_id}")
    async def job(request: Request, job_id: str) -> dict[str, object]:
        return await job_status(submitter, user_of(request, settings), job_id)

    @api.put("/settings")
    async def save_settings(request: Request) -> JSONResponse:
        user = user_of(request, settings)
        body = await body_of(request, SettingsBody)
        saved = True
        if body.model is not None:
            saved &= await submitter.set_default_model(user.id, body.model)
        if body.aspect_ratio is not None:
            saved &= await submitter.set_preference(user.id, "aspect_ratio", body.aspect_ratio)
        if body.num_images is not None:
            saved &= await submitter.set_preference(user.id, "num_images", str(body.num_images))
        if body.enhance is not None:
            saved &= await submitter.set_preference(
                user.id, "enhance", "on" if body.enhance else "off"
            )
        if not saved:
            return JSONResponse({"error": "invalid"}, status_code=422)
        return JSONResponse({"saved": True})

    @api.get("/balance")
    async def balance(request: Request) -> dict[str, object]:
        user = user_of(request, settings)
        if submitter.payments is None:
            return {"payments": False}
        held = await submitter.payments.balance(user.id)
        return {
            "payments": True,
            "available_sats": held.available_sats,
            "reserved_sats": held.reserved_sats,
            "free_per_day": settings.free_generations_per_day,
        }

    @api.get("/history")
    async def history(
        request: Request, limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = MAX_EVENTS
    ) -> dict[str, object]:
        user = user_of(request, settings)
        if submitter.payments is None:
            return {"payments": False, "events": []}
        events = await account_history(submitter.payments.ledger, user.id, limit)
        return {"payments": True, "events": [asdict(event) for event in events]}

    @api.post("/buy")
    async def buy(request: Request) -> dict[str, object]:
        user = user_of(request, settings)
        body = await body_of(request, Purchase)
        if submitter.payments is None:
            raise HTTPException(404, "payments are off")
        topup = await submitter.payments.create_topup(
            user.id, user.id, body.sats, user.language_code
        )
        invoice = topup.invoice
        return {
            "bolt11": invoice.bolt11,
            "sats": invoice.amount_sats,
            "expires_at": invoice.expires_at.timestamp(),
            "qr_svg": qr_svg(invoice.bolt11),
        }

    @api.get("/admin/stats")
    async def admin_stats(
        request: Request, days: Annotated[int, Query(ge=1, le=90)] = 14
    ) -> dict[str, object]:
        require_admin(user_of(request, settings), settings)
        report = await submitter.stats_report(days, chart_span=days)
        return {
            "window_days": report.window_days,
            "users": {"total": report.users_total, "today": report.users_today},
            "revenue_sats": report.revenue_sats,
            "queue_depth": report.queue_depth,
            "in_flight": report.in_flight,
            "blocks": report.blocks,
            "chart": [
                {
                    "day": point.day.isoformat(),
                    "delivered": point.delivered,
                    "failed": point.failed,
                    "revenue_sats": point.revenue_sats,
                }
                for point in report.chart
            ],
        }

    @api.get("/admin/moderation")
    async def admin_moderation(request: Request) -> dict[str, object]:
        require_admin(user_of(request, settings), settings)
        records = submitter.moderation_records
        blocks = await records.recent_blocks(50)
        return {
            "blocks": [
                {"user_id": b.user_id, "stage": b.stage, "category": b.category, "at": b.at}
                for b in blocks
            ],
            "banned": await records.banned(),
        }

    @api.post("/admin/unban/{user_id}")
    async def admin_unban(request: Request, user_id: int) -> dict[str, object]:
        require_admin(user_of(request, settings), settings)
        return {"unbanned": await submitter.moderation_records.unban(user_id)}

    router.include_router(api)
    return router
