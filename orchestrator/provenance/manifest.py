"""C2PA manifests through ``c2pa-python``: signing a delivered file, reading one back.

A made image's manifest holds one ``c2pa.actions.v2`` assertion: ``c2pa.created`` with
the IPTC digital source type ``trainedAlgorithmicMedia``, Fulmine as the software agent,
the model, the provider and the time; an edit adds ``c2pa.edited`` with the input image
as a ``parentOf`` ingredient. The prompt is included only when the operator asks for it.
All functions are CPU-bound: call them from a thread.
"""

from __future__ import annotations

import functools
import io
import json
import threading
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import c2pa

from orchestrator.provenance.credentials import SigningCredentials

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
INGREDIENT_ID = "input"
UNTRUSTED = "signingCredential.untrusted"
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


# No thumbnail in the manifest (C2PA makes it optional): the asset is the image itself, and
# the SDK's default thumbnail, a JPEG re-encoded from every image, was ~95 % of the signing's
# CPU (68 of 70 ms for a 768 px JPEG) and grew each file by its own size.
SIGNING_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}


@functools.cache  # read from the installed metadata: a millisecond each time
def fulmine_version() -> str:
    try:
        return version("fulmine")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0"


@dataclass(frozen=True, slots=True)
class Claims:
    """What a delivered image's manifest says about it."""

    kind: str  # "generate" or "edit"
    model: str
    provider: str
    when: str  # ISO 8601
    prompt: str | None = None  # only with PROVENANCE_INCLUDE_PROMPT


@dataclass(frozen=True, slots=True)
class ManifestFinding:
    """A manifest as read from a file: its claims and whether they hold."""

    valid: bool  # signature and hashes check out (trust in the signer aside)
    trusted: bool  # the signer's certificate is on a trust list this reader knows
    state: str  # c2pa's validation state: "Valid", "Trusted" or "Invalid"
    signer: str | None
    generator: str | None
    actions: tuple[str, ...]
    digital_source_type: str | None
    model: str | None
    provider: str | None
    when: str | None
    ingredients: int
    failures: tuple[str, ...] = field(default=())  # failed validation codes (trust aside)


def _actions(claims: Claims) -> list[dict[str, Any]]:
    """A made image is ``c2pa.created``; an edit ``c2pa.opened`` its input (the parent
    ingredient) and ``c2pa.edited`` it. Either way by a trained model."""
    parameters: dict[str, Any] = {"model": claims.model, "provider": claims.provider}
    if claims.prompt is not None:
        parameters["prompt"] = claims.prompt
    made: dict[str, Any] = {
        "action": "c2pa.edited" if claims.kind == "edit" else "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": {"name": "Fulmine", "version": fulmine_version()},
        "when": claims.when,
        "parameters": parameters,
    }
    if claims.kind != "edit":
        return [made]
    opened = {"action": "c2pa.opened", "parameters": {"ingredientIds": [INGREDIENT_ID]}}
    return [opened, made]


def sign(
    data: bytes,
    mime_type: str,
    claims: Claims,
    credentials: SigningCredentials,
    ingredient: tuple[bytes, str] | None = None,
) -> bytes:
    """``data`` with a signed manifest embedded; ``ingredient`` (bytes, MIME type) is the
    edited input. Raises ``c2pa.C2paError`` (or ``ValueError``) when signing fails."""
    manifest = {
        "claim_generator_info": [{"name": "Fulmine", "version": fulmine_version()}],
        "title": f"fulmine-{claims.kind}",
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": _actions(claims)}}],
    }
    context, signer = _signing_tools(credentials)
    try:
        with c2pa.Builder(manifest, context) as builder:
            if ingredient is not None:
                source, source_type = ingredient
                builder.add_ingredient(
                    {"title": "input", "relationship": "parentOf", "label": INGREDIENT_ID},
                    source_type,
                    io.BytesIO(source),
                )
            out = io.BytesIO()
            builder.sign(signer, mime_type, io.BytesIO(data), out)
            return out.getvalue()
    except BaseException:
        _THREAD.tools = None  # made afresh next time, whatever state the failure left
        raise


# The signing settings, context and signer, made once per thread (c2pa's objects are not
# shared between threads) and per credentials: made for each image they were a quarter of
# its signing's CPU (bench/RESULTS.md).
_THREAD = threading.local()


def _signing_tools(credentials: SigningCredentials) -> tuple[c2pa.Context, c2pa.Signer]:
    tools = getattr(_THREAD, "tools", None)
    if tools is None or tools[0] is not credentials:
        info = c2pa.C2paSignerInfo(
            c2pa.C2paSigningAlg.ES256, credentials.chain_pem, credentials.key_pem, None
        )
        settings = c2pa.Settings.from_dict(SIGNING_SETTINGS)
        tools = (credentials, settings, c2pa.Context(settings), c2pa.Signer.from_info(info))
        _THREAD.tools = tools
    return tools[2], tools[3]


def read(data: bytes, mime_type: str) -> ManifestFinding | None:
    """The manifest embedded in ``data``, None when there is none (or it is unreadable)."""
    try:
        with c2pa.Reader(mime_type, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state() or "Invalid"
            results = reader.get_validation_results() or {}
    except c2pa.C2paError:
        return None
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    actions: list[dict[str, Any]] = []
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions.extend(assertion.get("data", {}).get("actions", []))
    made = next((a for a in actions if "model" in a.get("parameters", {})), {})
    parameters = made.get("parameters", {})
    codes = [str(f.get("code")) for f in results.get("activeManifest", {}).get("failure", [])]
    failures = tuple(code for code in codes if code != UNTRUSTED)
    generator = (active.get("claim_generator_info") or [{}])[0]
    return ManifestFinding(
        valid=state in ("Valid", "Trusted") and not failures,
        trusted=UNTRUSTED not in codes,
        state=state,
        signer=active.get("signature_info", {}).get("common_name"),
        generator=f"{generator.get('name', '?')} {generator.get('version', '')}".strip(),
        actions=tuple(str(a.get("action")) for a in actions),
        digital_source_type=made.get("digitalSourceType"),
        model=parameters.get("model"),
        provider=parameters.get("provider"),
        when=made.get("when"),
        ingredients=len(active.get("ingredients", [])),
        failures=failures,
    )
