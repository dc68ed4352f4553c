"""``fulmine verify FILE...``: what each file says about where it came from.

Per file: the C2PA manifest's claims and whether its signature and hashes hold; the
watermark's payload and, where the state store (``REDIS_URL``) still knows it, the job
(time, kind, model, provider; never a prompt); or that no Fulmine mark was found.
Without settings or Redis the files are still read; only the job look-up is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

from fulmine.errors import InvalidInput
from orchestrator.provenance.service import Verdict, verify_image
from orchestrator.settings import MissingSetting, Settings
from state.backend import open_backend
from state.models import MarkRecord

MAX_FILE_BYTES = 20 * 1024 * 1024


def describe(verdict: Verdict) -> list[str]:
    lines: list[str] = []
    found = verdict.manifest
    if found is None:
        lines.append("C2PA: no manifest")
    else:
        status = "valid" if found.valid else f"INVALID ({', '.join(found.failures)})"
        trust = "trusted signer" if found.trusted else "signer not on a trust list"
        lines.append(f"C2PA: {status}; signed by {found.signer} ({trust})")
        lines.append(
            f"  {', '.join(found.actions)} by {found.generator}; model {found.model}, "
            f"provider {found.provider}, {found.when}; "
            f"source type {(found.digital_source_type or '-').rsplit('/', 1)[-1]}; "
            f"{found.ingredients} ingredient(s)"
        )
    if verdict.payload is None:
        lines.append("Watermark: no Fulmine mark found")
    else:
        lines.append(
            f"Watermark: Fulmine mark {verdict.payload:012x} "
            f"(confidence {verdict.confidence:.2f}); {_job(verdict.record)}"
        )
    return lines


def _job(record: MarkRecord | None) -> str:
    if record is None:
        return "its job is no longer (or not here) on record"
    when = dt.datetime.fromtimestamp(record.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{record.kind} job {record.job_id} of {when}, "
        f"model {record.model}, provider {record.provider}"
    )


def _read(path: str) -> bytes:
    with Path(path).open("rb") as file:  # a bound before anything is decoded
        return file.read(MAX_FILE_BYTES + 1)


async def verify_files(paths: list[str], settings: Settings | None) -> int:
    redis_url = settings.redis_url if settings is not None else None
    backend = open_backend(
        redis_url.get_secret_value() if redis_url is not None else None,
        key_prefix=settings.redis_key_prefix if settings is not None else "fulmine:",
    )
    await backend.start()
    try:
        code = 0
        for path in paths:
            print(path)
            try:
                data = await asyncio.to_thread(_read, path)
                verdict = await verify_image(data, backend.store)
            except (OSError, InvalidInput) as exc:
                print(f"  cannot read it: {exc}")
                code = 1
                continue
            for line in describe(verdict):
                print(f"  {line}")
        return code
    finally:
        await backend.stop()


def run(args: argparse.Namespace) -> int:
    try:
        settings: Settings | None = Settings()  # type: ignore[call-arg]
    except (MissingSetting, ValueError):
        settings = None  # no configuration here: files are read, jobs not looked up
    return asyncio.run(verify_files(args.files, settings))


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = commands.add_parser(
        "verify", help="say where image files came from (C2PA manifest, watermark, job)"
    )
    verify.add_argument("files", nargs="+", metavar="FILE")
    verify.set_defaults(run=run)
