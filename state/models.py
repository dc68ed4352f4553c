"""Records the state store keeps. Plain data, serialisable, no behaviour."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field


class JobKind(StrEnum):
    GENERATE = "generate"
    EDIT = "edit"
    UPSCALE = "upscale"


class Tier(StrEnum):
    """How soon a job runs (``state/scheduling.py``): set at admission from how it is paid."""

    TURBO = "turbo"
    FAST = "fast"
    RELAX = "relax"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DELIVERED = "delivered"
    FAILED = "failed"


class InputImage(BaseModel):
    """A chat file to edit: the chat platform's file id, never a download URL."""

    file_id: str
    file_size: int | None = None
    mime_type: str | None = None


class Job(BaseModel):
    """One image request, from acceptance to delivery."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: JobKind
    prompt: str
    chat_id: int
    user_id: int
    request_message_id: int
    status_message_id: int | None = None
    input_image: InputImage | None = None
    language: str | None = None
    status: JobStatus = JobStatus.QUEUED
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    error: str | None = None
    # Scale-out: when the job ran and finished, by when it must be done, and how
    # many times a worker took it (a job whose worker died is taken again).
    started_at: float | None = None
    finished_at: float | None = None
    deadline_at: float | None = None
    attempts: int = 0
    delivery_started_at: float | None = None  # set once, just before the photo is sent
    # Options and results: what the user asked for (--ar, --seed, --n), who asked
    # and where (groups name the requester), and the file ids of the images sent back.
    aspect_ratio: str = "1:1"
    seed: int | None = None
    num_images: int = 1
    requester_name: str | None = None
    chat_type: str = "private"
    result_file_ids: list[str] = Field(default_factory=list)
    result_size: str | None = None  # "<width>x<height>" of the first image sent
    # A variation (image-to-image from ``input_image``, a generate job): how far from it.
    variation_strength: float | None = None
    # Payments: sats reserved for this job (0: the free allowance paid); None when
    # nothing was reserved (payments off, or still waiting for its invoice to be paid).
    reserved_sats: int | None = None
    # Moderation: the chat's policy, fixed at admission so that every worker
    # process checks this job's images the same way ("off", "standard" or "strict").
    moderation_policy: str | None = None
    # How output images the image check flags are handled in its chat, fixed at admission
    # too ("block", "spoiler", "allow"; None: block); and which of the images sent (by
    # index) are flagged ones to show behind a spoiler.
    flagged_images: str | None = None
    spoiler_images: list[int] = Field(default_factory=list)
    # The front end the request came in through ("telegram", "api", ...): the one that
    # fetches its input, shows its progress and delivers its images.
    frontend: str = "telegram"
    # Scheduling: the job's tier. None until admission decides it from how the job is paid;
    # a front end or catalog entry may set it beforehand (e.g. turbo), and admission keeps it.
    # A queue treats None as relax.
    tier: Tier | None = None
    # The invoice that pays for this job, when one was issued for it; and whether the
    # daily free allowance may pay (no for anonymous accounts of one request each).
    invoice_id: str | None = None
    free_allowance: bool = True
    # The catalog model that makes it (orchestrator/catalog; None: the kind's default,
    # resolved at admission), the LoRA asked for and its scale (None: the model's own),
    # and the price of one image fixed at admission (None: the kind's price setting).
    model: str | None = None
    lora: str | None = None
    lora_scale: float | None = None
    price_sats_each: int | None = None
    # Prompt enhancement: asked for; the user's own prompt when ``prompt`` was rewritten.
    enhance: bool = False
    original_prompt: str | None = None
    enhance_failed: bool = False  # asked for, but the model failed: the user's own prompt
    # Inline mode: the inline message (in a chat the bot may not be in) that the job's
    # placeholder became, edited into the image; None for a job asked in a chat.
    inline_message_id: str | None = None


class SentImage(BaseModel):
    """An image the bot sent, by its chat message: what ``/edit`` and buttons look up."""

    chat_id: int
    message_id: int
    job_id: str
    file_id: str


class MarkRecord(BaseModel):
    """What an image's invisible watermark stands for: the 48-bit ``payload`` it carries
    names the job that made it. Nothing about who asked or what they wrote."""

    payload: int
    job_id: str
    created_at: float  # unix time the image was made
    kind: str  # "generate" or "edit"
    model: str
    provider: str


class BlockRecord(BaseModel):
    """One moderation block: who, where, at which stage, why and when.

    ``stage``: "prompt", "input_image" or "output_image"; ``prompt_hash``: SHA-256 of the
    prompt, to find repeats without reading every text.
    """

    user_id: int
    chat_id: int
    stage: str
    category: str
    score: float
    prompt_hash: str
    prompt: str
    at: float = Field(default_factory=time.time)
    # The loosest policy ("off", "standard", "strict") that blocks it; a stricter one
    # blocks it too. Repeat blocks pause a user under the policies they count for.
    # None: not known, counted under every policy.
    policy: str | None = None


# Admission: what a request is counted against (``StateStore.admit``).

BUSY_RETRY_AFTER_S = 20.0  # a hint only: nobody knows when a job in flight will finish


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_hits`` admissions in any ``window_s`` seconds for ``key``."""

    scope: str  # what the refusal names, e.g. "user" or "chat"
    key: str  # whose budget, e.g. "user:42"
    max_hits: int
    window_s: float


@dataclass(frozen=True, slots=True)
class InFlightCap:
    """At most ``max_jobs`` tickets in flight (None: count them, refuse none)."""

    max_jobs: int | None
    lease_s: float  # a ticket not released by then is dropped (its holder died)
    retry_after_s: float = BUSY_RETRY_AFTER_S


# The payment ledger's records (``Ledger``).


@dataclass(frozen=True, slots=True)
class Balance:
    available_sats: int  # what new jobs can reserve
    reserved_sats: int  # held for jobs not yet delivered or failed, or awaiting payment
    held_free_units: int = 0  # free images held the same way


@dataclass(frozen=True, slots=True)
class Reservation:
    job_id: str
    user_id: int
    sats: int  # taken from the balance (0 when the free allowance paid for all of it)
    free_units: int  # images paid by today's free allowance


@dataclass(frozen=True, slots=True)
class PendingInvoice:
    """An invoice we issued and have not yet settled, expired or given up on."""

    invoice_id: str
    user_id: int
    chat_id: int
    purpose: str  # "topup", "job" or "pool" (a top-up of the group chat_id's pool)
    amount_sats: int
    job_id: str | None = None  # the parked job it pays for (purpose "job")
    language: str | None = None
    frontend: str = "telegram"  # the front end that tells the user what became of it
    # The invoice itself, so that an open one can be shown again instead of issuing
    # another (None in records written before these were kept).
    bolt11: str | None = None
    expires_at: float | None = None  # Unix time


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of an account's money, as ``Ledger.movements`` lists it: ``kind`` is
    ``credit`` (its ``key`` the credit's), ``capture`` (a reservation made final: ``key``
    its job id, ``images`` the images charged), ``transfer_out`` or ``transfer_in`` (``key``
    the transfer's). ``at`` is a Unix time (the backing store's clock)."""

    kind: str
    sats: int
    key: str
    at: float
    images: int = 0


@dataclass(frozen=True, slots=True)
class Capture:
    """What ``Ledger.capture`` made final: ``sats`` for ``images`` images. The rest of the
    reservation went back to the balance and to the day's free allowance."""

    sats: int
    images: int


@dataclass(frozen=True, slots=True)
class HeldReservation:
    """A reservation neither captured nor released, and how long it has been held;
    ``sats`` is what it holds (less than its price while it is parked)."""

    job_id: str
    user_id: int
    sats: int
    age_s: float


class HistoryEntry(BaseModel):
    """One delivered job in its requester's gallery: what was asked and where its images are
    kept in the image store (``image_keys``, one per image, in order)."""

    id: str  # the job's id
    user_id: int
    chat_id: int
    kind: str
    prompt: str
    model: str | None = None
    aspect_ratio: str = "1:1"
    seed: int | None = None
    created_at: float = Field(default_factory=time.time)
    expires_at: float = 0.0  # Unix time; set by ``ImageHistory.add``
    image_keys: list[str] = Field(default_factory=list)
