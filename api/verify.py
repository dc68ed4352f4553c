"""``POST /api/v1/verify``: where did an image come from? The provenance verdict of any
image (``runtime.provenance.verify``) as JSON: its invisible watermark and, while it is
kept, what the watermark names (kind, time, model, provider), then its Content Credentials
(C2PA manifest) if the file still carries one.

Anyone may ask about any image, so the answer says what the image says and nothing about
who asked for it: never a prompt, never the job's id (an API job's id is its invoice id,
the receipt that shows its result and claims its refund), never the watermark's payload.
The image has the bounds of every input (20 MB, 16 MP, JPEG, PNG or WebP) inside the
body limit of the routes that take an image, and each client is rate-limited.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.clients import limit_client
from api.errors import ApiError, ApiRoute
from api.orders import answer_refusal
from fulmine.errors import InvalidInput
from orchestrator.provenance.service import Verdict
from providers.images import DEFAULT_MAX_BYTES
from state.errors import StateError

if TYPE_CHECKING:
    from api.frontend import ApiFrontend

VERIFY_PATH = "/api/v1/verify"


class VerifyOrder(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"image": "/9j/4AAQSkZJRg..."}]}
    )

    image: str = Field(min_length=1, description="base64 of the image (JPEG, PNG or WebP)")


class Watermark(BaseModel):
    found: bool
    confidence: float | None = None  # of the reading, 0 to 1, when one was found
    # What the watermark names, while it is kept (PROVENANCE_KEEP_S); else absent.
    kind: Literal["generate", "edit"] | None = None
    created_at: str | None = None  # when the image was made (UTC, ISO 8601)
    model: str | None = None
    provider: str | None = None


class Credentials(BaseModel):
    """The image's C2PA manifest, as read and checked (trust in the signer aside)."""

    valid: bool
    trusted: bool
    state: str
    signer: str | None
    generator: str | None
    actions: list[str]
    digital_source_type: str | None
    model: str | None
    provider: str | None
    when: str | None
    ingredients: int
    failures: list[str]


class VerifyAnswer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "made_here": True,
                    "watermark": {
                        "found": True,
                        "confidence": 0.97,
                        "kind": "generate",
                        "created_at": "2026-01-01T12:00:00Z",
                        "model": "flux-dev",
                        "provider": "replicate",
                    },
                    "manifest": None,
                }
            ]
        }
    )

    made_here: bool  # the watermark names an image this service made
    watermark: Watermark
    manifest: Credentials | None  # None: the file carries none (re-encoded, or never had)


def verdict_answer(verdict: Verdict) -> VerifyAnswer:
    record = verdict.record
    mark = Watermark(found=False)
    if verdict.payload is not None:  # below the reading threshold, a confidence says nothing
        mark = Watermark(found=True, confidence=round(verdict.confidence, 3))
    if record is not None:
        made = dt.datetime.fromtimestamp(record.created_at, dt.UTC)
        mark.kind = "edit" if record.kind == "edit" else "generate"
        mark.created_at = made.isoformat(timespec="seconds").replace("+00:00", "Z")
        mark.model, mark.provider = record.model, record.provider
    found = verdict.manifest
    credentials = None
    if found is not None:
        credentials = Credentials(
            valid=found.valid,
            trusted=found.trusted,
            state=found.state,
            signer=found.signer,
            generator=found.generator,
            actions=list(found.actions),
            digital_source_type=found.digital_source_type,
            model=found.model,
            provider=found.provider,
            when=found.when,
            ingredients=found.ingredients,
            failures=list(found.failures),
        )
    return VerifyAnswer(made_here=record is not None, watermark=mark, manifest=credentials)


def decoded_image(encoded: str) -> bytes:
    """The image's bytes; its size bounded before anything is decoded."""
    if len(encoded) > DEFAULT_MAX_BYTES * 4 // 3 + 4:
        raise ApiError(413, "image_too_large", f"at most {DEFAULT_MAX_BYTES} bytes")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid_image", "the image is not base64") from None


def verify_router(front: ApiFrontend) -> APIRouter:
    router = APIRouter(tags=["provenance"], route_class=ApiRoute)  # under /api/v1

    @router.post("/verify")
    async def verify(order: VerifyOrder, request: Request) -> VerifyAnswer:
        """Where an image came from: its watermark (and what it names), its manifest."""
        await limit_client(front.settings, front.submitter, request)
        data = decoded_image(order.image)
        try:
            verdict = await front.submitter.provenance.verify(data)
        except (InvalidInput, StateError) as exc:
            raise answer_refusal(exc) from exc
        return verdict_answer(verdict)

    return router
