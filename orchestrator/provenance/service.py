"""Provenance for the worker and every front end.

:meth:`Provenance.stamp` makes a job's images say where they came from before they are
delivered: each gets a fresh 48-bit watermark payload (random, so it tells nothing about
who asked), recorded in the state store with the job's time, kind, model and provider;
then a signed C2PA manifest over the marked file. The signed file is kept for a while
for front ends that offer it as a document (Telegram's "Original file").
A failure never loses an image: it goes out without what failed, and the failure is
counted (``fulmine_provenance_failures_total``).

:meth:`Provenance.verify` answers for any image: the manifest's claims and whether they
hold, the watermark's payload and, where the store still knows it, the job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from orchestrator.provenance import manifest, stamping, watermark
from orchestrator.provenance.credentials import SigningCredentials, load_credentials
from orchestrator.provenance.manifest import Claims, ManifestFinding
from orchestrator.settings import Settings
from providers.base import ProviderImage
from providers.images import inspect_image
from state.base import StateStore
from state.models import Job, JobKind, MarkRecord

log = structlog.get_logger(__name__)

FAILURES = Counter(
    "fulmine_provenance_failures_total",
    "Images delivered without a watermark or a signed manifest, by step",
    ["step"],  # watermark, sign, record
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one image says about where it came from."""

    manifest: ManifestFinding | None
    payload: int | None  # the watermark's, when one was found
    confidence: float  # of the watermark reading, 0 to 1
    record: MarkRecord | None  # the job the payload names, while the store keeps it

    @property
    def found(self) -> bool:
        return self.manifest is not None or self.payload is not None


def model_of(settings: Settings, provider: str, kind: JobKind) -> str:
    """The model a provider uses for a kind, as configured."""
    first = provider.split(",")[0]
    if first == "replicate":
        return settings.generate_model
    if first == "fal":
        return settings.edit_model if kind is JobKind.EDIT else settings.fal_generate_model
    return first  # self-hosted and development providers name themselves


class Provenance:
    def __init__(self, settings: Settings, store: StateStore) -> None:
        self._settings = settings
        self._store = store
        self._credentials: SigningCredentials | None = None

    async def start(self) -> None:
        if self._credentials is not None:
            return
        s = self._settings
        self._credentials = await asyncio.to_thread(
            load_credentials, s.provenance_cert, s.provenance_key
        )
        if self._credentials.development:
            log.warning(
                "provenance_development_certificate",
                detail="no PROVENANCE_CERT/PROVENANCE_KEY: manifests are signed with a "
                "certificate made at start-up; validators will call the signer untrusted",
            )

    async def stop(self) -> None:
        return None

    async def stamp(
        self, job: Job, images: list[ProviderImage], provider: str, source: bytes | None
    ) -> list[ProviderImage]:
        """``images`` watermarked and signed, in order; each as it was where a step failed."""
        # The catalog model the job named; a job made without one, what its provider runs.
        model = job.model or model_of(self._settings, provider, job.kind)
        made = dt.datetime.fromtimestamp(job.started_at or job.created_at, dt.UTC)
        claims = Claims(
            kind=job.kind.value,
            model=model,
            provider=provider,
            when=made.isoformat(),
            prompt=job.prompt if self._settings.provenance_include_prompt else None,
        )
        stamped: list[ProviderImage] = []
        for index, image in enumerate(images):
            payload = secrets.randbits(watermark.PAYLOAD_BITS)
            record = MarkRecord(
                payload=payload,
                job_id=job.id,
                created_at=made.timestamp(),
                kind=job.kind.value,
                model=model,
                provider=provider,
            )
            result = await self._stamp_one(image, payload, claims, source, record)
            if result is not image:
                await self._keep(job.id, index, result.data)
            stamped.append(result)
        return stamped

    async def _stamp_one(
        self,
        image: ProviderImage,
        payload: int,
        claims: Claims,
        source: bytes | None,
        record: MarkRecord,
    ) -> ProviderImage:
        # An image carries a mark only once its record is kept (a payload nobody can look
        # up says nothing); recorded first, so that marking and signing are one trip to a
        # thread.
        embed: int | None = None
        try:
            if stamping.carries_mark(image.data):
                await self._store.remember_mark(record, self._settings.provenance_keep_s)
                embed = payload
        except Exception as exc:
            FAILURES.labels(step="watermark").inc()
            log.error("watermark_failed", error=repr(exc))
        ingredient = None
        if source is not None:
            ingredient = (source, inspect_image(source, decode=False).mime_type)
        stamped = await asyncio.to_thread(
            _stamped, image, embed, claims, self._credentials, ingredient
        )
        if stamped.mark_error is not None:
            FAILURES.labels(step="watermark").inc()
            log.error("watermark_failed", error=repr(stamped.mark_error))
        if stamped.sign_error is not None:
            FAILURES.labels(step="sign").inc()
            log.error("signing_failed", error=repr(stamped.sign_error))
        return stamped.image

    async def _keep(self, job_id: str, index: int, data: bytes) -> None:
        try:
            await self._store.keep_original(
                job_id, index, data, self._settings.provenance_originals_s
            )
        except Exception as exc:  # the photo still goes out; only the document is lost
            FAILURES.labels(step="record").inc()
            log.warning("original_not_kept", error=repr(exc))

    async def original(self, job_id: str, index: int) -> bytes | None:
        """The signed file of a delivered image, while it is kept."""
        return await self._store.find_original(job_id, index)

    async def verify(self, data: bytes) -> Verdict:
        """See :func:`verify_image`."""
        return await verify_image(data, self._store)


async def verify_image(data: bytes, store: StateStore) -> Verdict:
    """What ``data`` says about where it came from, the job looked up in ``store``.
    Raises ``fulmine.errors.InvalidInput`` for what is not a JPEG, PNG or WebP within
    the limits of ``providers.images``."""
    info = await asyncio.to_thread(inspect_image, data, source="verify")
    found = await asyncio.to_thread(manifest.read, data, info.mime_type)
    reading = await asyncio.to_thread(stamping.read_mark, data)
    payload = reading.payload if reading is not None else None
    record = await store.find_mark(payload) if payload is not None else None
    return Verdict(
        manifest=found,
        payload=payload,
        confidence=reading.confidence if reading is not None else 0.0,
        record=record,
    )


@dataclass(frozen=True, slots=True)
class _Stamped:
    image: ProviderImage  # as far as it got: marked and signed, marked, or as it was
    mark_error: Exception | None = None
    sign_error: Exception | None = None


def _stamped(
    image: ProviderImage,
    payload: int | None,
    claims: Claims,
    credentials: SigningCredentials | None,
    ingredient: tuple[bytes, str] | None,
) -> _Stamped:
    """Marked with ``payload`` (None: not marked), then signed. Runs in a thread."""
    data, mime = image.data, image.content_type
    mark_error: Exception | None = None
    if payload is not None:
        try:
            marked = stamping.mark(data, payload)
        except Exception as exc:
            mark_error = exc
        else:
            if marked is not None:
                data, mime = marked
    try:
        assert credentials is not None, "Provenance.start() was not awaited"
        signed = manifest.sign(data, mime, claims, credentials, ingredient)
    except Exception as exc:
        return _Stamped(ProviderImage(data=data, content_type=mime), mark_error, exc)
    return _Stamped(ProviderImage(data=signed, content_type=mime), mark_error)
