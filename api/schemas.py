"""What the HTTP API takes and answers, with the examples ``/docs`` shows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9", "9:21")
MAX_IMAGES = 4
MAX_SEED = 2**32 - 1
MAX_PROMPT_FIELD = 4000  # the field's own bound; MAX_PROMPT_CHARS is checked after it
MAX_ID_CHARS = 64
MAX_BOLT11_CHARS = 2000


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aspect_ratio: Literal[ASPECT_RATIOS] = "1:1"  # type: ignore[valid-type]
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    num_images: int = Field(default=1, ge=1, le=MAX_IMAGES)


class ImageOrder(BaseModel):
    """An image to make: a prompt, and for an edit the image (base64, JPEG/PNG/WebP)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"prompt": "a red fox in the snow", "options": {"aspect_ratio": "16:9"}},
                {"prompt": "make it night", "kind": "edit", "image": "iVBORw0KGgo..."},
            ]
        },
    )

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_FIELD)
    model: str | None = Field(default=None, max_length=100)
    kind: Literal["generate", "edit"] | None = None
    image: str | None = Field(default=None, description="base64 of the image to edit")
    options: Options = Field(default_factory=Options)


class InvoiceOrder(ImageOrder):
    # Spend a refund claim (the sats of a failed request) on this one instead of paying.
    credit_invoice_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)


class InvoiceAnswer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "invoice_id": "5f0c4b1e9a7d4c7e8e2b6a3f1d0c9b8a",
                    "amount_sats": 100,
                    "payment_request": "lnbc1u1p...",
                    "status": "pending",
                    "expires_at": "2026-01-01T12:15:00Z",
                    "checkout_url": None,
                }
            ]
        }
    )

    invoice_id: str
    amount_sats: int
    payment_request: str | None  # None when nothing is left to pay (credit, free)
    status: Literal["pending", "paid"]
    expires_at: str | None
    checkout_url: str | None = None


class InvoiceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class PaymentStatus(BaseModel):
    invoice_id: str
    status: Literal["pending", "paid", "expired", "invalid"]


class RefundOrder(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"invoice_id": "5f0c...", "payment_request": "lnbc1u1p..."}]
        },
    )

    invoice_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    payment_request: str = Field(min_length=1, max_length=MAX_BOLT11_CHARS)


class RefundAnswer(BaseModel):
    invoice_id: str
    refunded_sats: int
    status: Literal["paid", "pending"]


class ImageLink(BaseModel):
    url: str
    width: int
    height: int
    seed: int | None
    content_type: str


class JobAnswer(BaseModel):
    """The state of the image a paid request makes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"invoice_id": "5f0c...", "status": "queued", "position": 2, "eta_s": 24.5},
                {
                    "invoice_id": "5f0c...",
                    "status": "completed",
                    "images": [
                        {
                            "url": "https://api.example.org/api/v1/files/...?expires=...&sig=...",
                            "width": 1024,
                            "height": 1024,
                            "seed": 42,
                            "content_type": "image/png",
                        }
                    ],
                    "model": "flux-dev",
                    "processing_time": 3.2,
                },
            ]
        }
    )

    invoice_id: str
    status: Literal["pending", "queued", "running", "completed", "failed"]
    # While queued: jobs ahead of it (when known), and about how many seconds until it
    # starts, from measured service times (absent until something was measured).
    position: int | None = None
    eta_s: float | None = None
    images: list[ImageLink] | None = None
    model: str | None = None
    processing_time: float | None = None
    reason: str | None = None  # why it failed
    refund_sats: int | None = None  # a failed job's claim (POST /api/v1/refund)
    payment_request: str | None = None  # while unpaid
