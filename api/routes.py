"""The routes of ``/api/v1``: invoices, their status, images (with long-poll and
Server-Sent Events), refunds, L402 and the files of the local image store."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

from bolt11 import decode as decode_bolt11
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api import l402
from api.clients import limit_client
from api.errors import ApiError, ApiRoute
from api.orders import answer_refusal, retry_after
from api.results import parked
from api.schemas import (
    ImageOrder,
    InvoiceAnswer,
    InvoiceOrder,
    InvoiceRef,
    JobAnswer,
    PaymentStatus,
    RefundAnswer,
    RefundOrder,
)
from providers.payments.base import PayoutStatus
from providers.payments.errors import PaymentBackendUnavailable, PaymentError, PayoutsUnsupported
from state.errors import InsufficientCredits, StateError

if TYPE_CHECKING:
    from api.frontend import ApiFrontend

MAX_WAIT_S = 30
POLL_S = 0.5
INVOICE_CHECK_EVERY_S = 2.0
EVENTS_FOR_S = 600.0  # one event stream lasts at most this long; the client reconnects
KEEPALIVE_S = 15.0


def build_router(front: ApiFrontend) -> APIRouter:
    settings, submitter = front.settings, front.submitter
    router = APIRouter(prefix="/api/v1", tags=["images"], route_class=ApiRoute)

    async def limited(request: Request) -> None:
        await limit_client(settings, submitter, request)

    def accepting() -> None:
        if not submitter.accepting:
            raise ApiError(503, "stopping", "the server is restarting", retry_after(5))

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/invoice", responses={422: {"description": "refused by moderation"}})
    async def invoice(order: InvoiceOrder, request: Request) -> InvoiceAnswer:
        """An invoice for one image request; once paid, the job starts by itself."""
        accepting()
        await limited(request)
        placed = await front.orders.place(order)
        if placed.invoice is None:
            return InvoiceAnswer(
                invoice_id=placed.job.id,
                amount_sats=0,
                payment_request=None,
                status="paid",
                expires_at=None,
            )
        return InvoiceAnswer(
            invoice_id=placed.job.id,
            amount_sats=placed.amount_sats,
            payment_request=placed.invoice.bolt11,
            status="pending",
            expires_at=placed.invoice.expires_at.isoformat().replace("+00:00", "Z"),
        )

    @router.post("/payment/status")
    async def payment_status(ref: InvoiceRef, request: Request) -> PaymentStatus:
        await limited(request)
        job = await front.orders.api_job(ref.invoice_id)
        return await front.results.invoice_status(job)

    async def current(invoice_id: str, check_invoice: bool) -> tuple[int, JobAnswer]:
        job = await front.orders.api_job(invoice_id)
        return await front.results.answer(job, check_invoice)

    @router.get(
        "/image/{invoice_id}",
        responses={202: {"model": JobAnswer}, 402: {"model": JobAnswer}},
    )
    async def image(
        invoice_id: str, wait: Annotated[int, Query(ge=0, le=MAX_WAIT_S)] = 0
    ) -> JSONResponse:
        """402 while unpaid, 202 while queued or running, 200 when completed or failed.
        ``wait`` (seconds): answer as soon as that changes, or after ``wait``."""
        deadline = time.monotonic() + wait
        checked_at = time.monotonic()
        code, answer = await current(invoice_id, True)
        while code in {202, 402} and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            check = time.monotonic() - checked_at >= INVOICE_CHECK_EVERY_S
            checked_at = time.monotonic() if check else checked_at
            new_code, answer = await current(invoice_id, check)
            if new_code != code:
                code = new_code
                break
        return JSONResponse(answer.model_dump(exclude_none=True), status_code=code)

    @router.get("/image/{invoice_id}/events", response_class=StreamingResponse)
    async def events(invoice_id: str) -> StreamingResponse:
        """Server-Sent Events: one ``status`` event per change, ending after the last."""
        await front.orders.api_job(invoice_id)  # 404 before the stream starts

        async def stream() -> AsyncIterator[str]:
            last, quiet_since = "", time.monotonic()
            ends, checked_at = time.monotonic() + EVENTS_FOR_S, 0.0
            while time.monotonic() < ends and submitter.accepting:
                check = time.monotonic() - checked_at >= INVOICE_CHECK_EVERY_S
                checked_at = time.monotonic() if check else checked_at
                try:
                    code, answer = await current(invoice_id, check)
                    data = json.dumps(answer.model_dump(exclude_none=True))
                except ApiError as error:
                    code, data = error.status, json.dumps({"error": error.code})
                if data != last:
                    last, quiet_since = data, time.monotonic()
                    yield f"event: status\ndata: {data}\n\n"
                elif time.monotonic() - quiet_since > KEEPALIVE_S:
                    quiet_since = time.monotonic()
                    yield ": keep-alive\n\n"
                if code not in {202, 402}:
                    return
                await asyncio.sleep(POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream")

    @router.post("/refund", responses={202: {"model": RefundAnswer}})
    async def refund(order: RefundOrder, request: Request) -> JSONResponse:
        """Pay a failed request's sats to a BOLT11 invoice of the same amount: 200 paid,
        202 sent but not yet known to have arrived (the claim is held meanwhile)."""
        await limited(request)
        job = await front.orders.api_job(order.invoice_id)
        payments = submitter.payments
        if payments is None:
            raise ApiError(409, "nothing_to_refund", "payments are off")
        try:
            claim = (await payments.balance(job.user_id)).available_sats
            wanted = decode_bolt11(order.payment_request).amount_msat
        except StateError as exc:
            raise answer_refusal(exc) from exc
        except Exception:  # bolt11 raises many types on a malformed string
            raise ApiError(400, "invalid_payment_request", "not a BOLT11 invoice") from None
        if claim <= 0:
            raise ApiError(409, "nothing_to_refund", "this request holds no sats")
        if wanted is None or int(wanted) != claim * 1000:
            raise ApiError(400, "wrong_amount", f"the invoice must be for {claim} sats", sats=claim)
        try:
            payout = await payments.payouts.pay_out(job.user_id, order.payment_request)
        except InsufficientCredits:
            raise ApiError(409, "nothing_to_refund", "the claim was taken meanwhile") from None
        except PayoutsUnsupported:
            raise ApiError(
                501,
                "refunds_unsupported",
                "this server cannot pay out; spend the claim with credit_invoice_id",
                sats=claim,
            ) from None
        except PaymentBackendUnavailable:
            # Held until the backend tells what became of it; never paid twice.
            return JSONResponse(
                RefundAnswer(invoice_id=job.id, refunded_sats=claim, status="pending").model_dump(),
                status_code=202,
            )
        except PaymentError as exc:
            raise ApiError(502, "refund_failed", f"the payout failed: {exc.detail}") from None
        except StateError as exc:
            raise answer_refusal(exc) from exc
        if payout.sats <= 0:
            raise ApiError(409, "nothing_to_refund", "this request holds no sats")
        paid = payout.status is PayoutStatus.PAID
        answer = RefundAnswer(
            invoice_id=job.id, refunded_sats=payout.sats, status="paid" if paid else "pending"
        )
        return JSONResponse(answer.model_dump(), status_code=200 if paid else 202)

    @router.post(
        "/generate",
        responses={402: {"description": "L402 challenge: pay the invoice, show the preimage"}},
    )
    async def generate(
        order: ImageOrder,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        """L402: without a token, 402 and a challenge; with one, the request's job runs
        (once per token) and its state is answered as on ``GET /image/{invoice_id}``."""
        accepting()
        request_id = l402.request_hash(await request.json())
        try:
            presented = l402.parse_authorization(authorization)
            token = l402.verify(front.l402_key, *presented, request_id) if presented else None
        except l402.BadToken as exc:
            raise ApiError(401, "invalid_token", str(exc)) from None
        if token is None:
            await limited(request)
            return await challenge(order, request_id)
        # The invoice is applied first (its job queued), so that a backend outage is a 503
        # that leaves the token good for the retry, not a used token and a parked job.
        job = await front.orders.api_job(token.job_id)
        if parked(job):
            await front.results.invoice_status(job)
        if not await submitter.first_time(f"l402:{token.payment_hash}", 30 * 86400):
            raise ApiError(401, "token_used", "this token was used", invoice_id=token.job_id)
        code, answer = await current(token.job_id, False)
        return JSONResponse(answer.model_dump(exclude_none=True), status_code=code)

    async def challenge(order: ImageOrder, request_id: str) -> JSONResponse:
        placed = await front.orders.place(order)
        if placed.invoice is None:  # payments are off: nothing to pay, the job runs
            code, answer = await front.results.answer(placed.job)
            return JSONResponse(answer.model_dump(exclude_none=True), status_code=code)
        payment_hash = str(decode_bolt11(placed.invoice.bolt11).payment_hash)
        ttl_s = settings.l402_token_ttl_s
        macaroon = l402.mint(front.l402_key, payment_hash, placed.job.id, request_id, ttl_s)
        body = {
            "error": "payment_required",
            "message": "pay the invoice, then repeat the request with the token",
            "invoice_id": placed.job.id,
            "amount_sats": placed.amount_sats,
            "macaroon": macaroon,
            "invoice": placed.invoice.bolt11,
        }
        header = l402.challenge(macaroon, placed.invoice.bolt11)
        return JSONResponse(body, status_code=402, headers={"WWW-Authenticate": header})

    @router.get("/files/{key:path}", include_in_schema=False)
    async def files(key: str, expires: str = "", sig: str = "") -> Response:
        if not front.store.serves_own_links or not front.store.verify(key, expires, sig):
            raise ApiError(403, "invalid_link", "the link is invalid or has expired")
        stored = await front.store.get(key)
        if stored is None:
            raise ApiError(404, "gone", "the image is no longer kept")
        return Response(stored.data, media_type=stored.content_type)

    return router
