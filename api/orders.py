"""From an order to a job: bounds first, then moderation, the price and the invoice
(admission), then the edit's input kept in the image store.

Each API request is an account of its own in the ledger (``account_of``): its invoice
credits it, its job reserves from it, a failed job's sats go back to it, and what is left
there is the request's refund claim, paid out by ``POST /api/v1/refund`` or spent by a
later order naming it (``credit_invoice_id``). The daily free allowance never applies.
The public ``invoice_id`` is the id of the request's job.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
from dataclasses import dataclass

from api.errors import ApiError
from api.schemas import ImageOrder, InvoiceOrder
from fulmine.errors import ImageTooLarge, InvalidInput
from orchestrator.catalog.errors import UnknownModel
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.errors import ContentBlocked, ModerationRefusal, UserThrottled
from orchestrator.payments.errors import PaymentRequired, PaymentsUnavailable
from orchestrator.settings import Settings
from providers.images import DEFAULT_MAX_BYTES, MAX_PIXELS, inspect_image
from providers.payments.base import Invoice
from providers.storage.base import ImageStore
from providers.storage.errors import StorageError
from state.errors import RateLimited, StateError
from state.models import InputImage, Job, JobKind

FRONTEND = "api"
ACCOUNT_BASE = 2**62  # far above any Telegram id: API accounts never meet a chat user


def account_of(job_id: str) -> int:
    return ACCOUNT_BASE + int(job_id[:15], 16)


def kind_of(order: ImageOrder) -> JobKind:
    """The kind asked for: an edit when it brings an image. The model (``model``, a
    catalog name; None: the kind's default) is checked against the catalog at admission."""
    return JobKind(order.kind or ("edit" if order.image else "generate"))


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def answer_refusal(exc: BaseException) -> ApiError:
    """An admission refusal or failure, as the API answers it."""
    if isinstance(exc, UnknownModel):
        return ApiError(
            400,
            "unknown_model",
            f"no {exc.kind} model {exc.name!r}; known: {', '.join(exc.offered)}",
            models=exc.offered,
        )
    if isinstance(exc, ContentBlocked):
        return ApiError(422, "content_blocked", "the request was refused", category=exc.category)
    if isinstance(exc, UserThrottled):
        return ApiError(
            429, "throttled", "too many refused requests", retry_after(exc.retry_after_s)
        )
    if isinstance(exc, ModerationRefusal):
        return ApiError(403, "refused", "this account may not make requests")
    if isinstance(exc, RateLimited):
        return ApiError(429, "rate_limited", "too many requests", retry_after(exc.retry_after_s))
    if isinstance(exc, ImageTooLarge):
        return ApiError(413, "image_too_large", exc.detail)
    if isinstance(exc, InvalidInput):
        return ApiError(400, "invalid_image", exc.detail or "unreadable image")
    if isinstance(exc, PaymentsUnavailable):
        return ApiError(
            503, "payments_unavailable", "no invoice can be issued now", retry_after(30)
        )
    if isinstance(exc, StateError | StorageError):
        return ApiError(503, "unavailable", "try again shortly", retry_after(5))
    raise exc


@dataclass(frozen=True, slots=True)
class Placed:
    job: Job
    invoice: Invoice | None  # None: nothing to pay (credit covered it, or payments are off)
    amount_sats: int  # still to pay


class Orders:
    def __init__(self, settings: Settings, submitter: JobSubmitter, store: ImageStore) -> None:
        self._settings = settings
        self._submitter = submitter
        self._store = store

    async def api_job(self, invoice_id: str) -> Job:
        """The job of one of our ids; anything else (unknown, forgotten, not the API's) 404."""
        job = await self._submitter.get_job(invoice_id) if invoice_id.isalnum() else None
        if job is None or job.frontend != FRONTEND:
            raise ApiError(404, "unknown_invoice", "no such invoice")
        return job

    async def place(self, order: ImageOrder, job_id: str | None = None) -> Placed:
        """Admit the order's job: parked behind an invoice, or queued when nothing is owed."""
        job = await self.job_of(order, job_id)
        try:
            await self._submitter.admit(job)
        except PaymentRequired as required:
            await self._keep_input(order, job)
            return Placed(job, required.invoice, required.missing_sats)
        except Exception as exc:
            raise answer_refusal(exc) from exc
        try:
            await self._keep_input(order, job)
            await self._submitter.submit(job)
        except BaseException as exc:
            await self._submitter.withdraw(job)
            if isinstance(exc, Exception):
                raise answer_refusal(exc) from exc
            raise
        return Placed(job, None, 0)

    async def job_of(self, order: ImageOrder, job_id: str | None) -> Job:
        """The job an order asks for, every bound checked; nothing kept yet."""
        settings = self._settings
        prompt = order.prompt.strip()
        if not prompt:
            raise ApiError(400, "invalid_request", "the prompt is empty")
        if len(prompt) > settings.max_prompt_chars:
            raise ApiError(
                400, "prompt_too_long", f"at most {settings.max_prompt_chars} characters"
            )
        kind = kind_of(order)
        if kind is JobKind.EDIT and not order.image:
            raise ApiError(400, "invalid_request", "an edit needs an image")
        if kind is JobKind.GENERATE and order.image:
            raise ApiError(400, "invalid_request", "only an edit takes an image")
        account = None
        if isinstance(order, InvoiceOrder) and order.credit_invoice_id is not None:
            account = (await self.api_job(order.credit_invoice_id)).user_id
        job = Job(kind=kind, prompt=prompt, chat_id=0, user_id=0, request_message_id=0)
        if job_id is not None:
            job.id = job_id
        job.user_id = job.chat_id = account if account is not None else account_of(job.id)
        job.frontend, job.free_allowance = FRONTEND, False
        # A client gets the file itself: no spoiler can hide a flagged image, so "spoiler"
        # is "block" here ("allow" stays the operator's call).
        allow = self._settings.moderation_flagged_images == "allow"
        job.flagged_images = "allow" if allow else "block"
        job.model = order.model
        job.aspect_ratio = order.options.aspect_ratio
        job.seed, job.num_images = order.options.seed, order.options.num_images
        if order.image is not None:
            info = await self._checked_image(order.image)
            job.input_image = InputImage(
                file_id=f"inputs/{job.id}", file_size=info[0], mime_type=info[1]
            )
        return job

    async def _checked_image(self, encoded: str) -> tuple[int, str]:
        if len(encoded) > DEFAULT_MAX_BYTES * 4 // 3 + 4:
            raise ApiError(413, "image_too_large", f"at most {DEFAULT_MAX_BYTES} bytes")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "invalid_image", "the image is not base64") from None
        try:
            info = await asyncio.to_thread(
                inspect_image, data, max_bytes=DEFAULT_MAX_BYTES, max_pixels=MAX_PIXELS
            )
        except InvalidInput as exc:
            raise answer_refusal(exc) from exc
        return len(data), info.mime_type

    async def _keep_input(self, order: ImageOrder, job: Job) -> None:
        if order.image is not None and job.input_image is not None:
            data = base64.b64decode(order.image)
            await self._store.put(job.input_image.file_id, data, job.input_image.mime_type or "")

    async def input_of(self, job: Job) -> bytes:
        """The edit's input image, as the order brought it."""
        if job.input_image is None:
            raise InvalidInput(FRONTEND, "the job has no input image")
        stored = await self._store.get(job.input_image.file_id)
        if stored is None:
            raise InvalidInput(FRONTEND, "the input image is no longer kept")
        return stored.data
