"""L402 (Lightning Labs; Aperture's protocol): a macaroon that names an invoice's payment
hash, good once its preimage is shown.

The challenge is ``WWW-Authenticate: L402 macaroon="<base64>", invoice="<BOLT11>"``; the
client pays, learns the preimage and sends ``Authorization: L402 <macaroon>:<preimage hex>``.
A token is checked without reading any store: the macaroon's signature under our root key,
its caveats (``services=fulmine:0``, ``fulmine_valid_until``, ``fulmine_request``: the
SHA-256 of the request it was minted for) and ``sha256(preimage) == payment hash``. The
identifier is ``0:<payment hash hex>:<job id>``: the job the invoice pays for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from pymacaroons import Macaroon, Verifier
from pymacaroons.exceptions import MacaroonException

SERVICE = "fulmine"
VERSION = "0"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Token:
    payment_hash: str
    job_id: str


class BadToken(Exception):
    """The token is malformed, forged, expired, for another request, or unpaid."""


def request_hash(body: object) -> str:
    """The request a token is for: its JSON body, canonical."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mint(root_key: bytes, payment_hash: str, job_id: str, request: str, ttl_s: float) -> str:
    macaroon = Macaroon(
        location=SERVICE, identifier=f"{VERSION}:{payment_hash}:{job_id}", key=root_key
    )
    macaroon.add_first_party_caveat(f"services={SERVICE}:0")
    macaroon.add_first_party_caveat(f"{SERVICE}_valid_until={int(time.time() + ttl_s)}")
    macaroon.add_first_party_caveat(f"{SERVICE}_request={request}")
    return str(macaroon.serialize())


def challenge(macaroon: str, bolt11: str) -> str:
    return f'L402 macaroon="{macaroon}", invoice="{bolt11}"'


def parse_authorization(value: str | None) -> tuple[str, str] | None:
    """(macaroon, preimage) of an ``L402`` (or older ``LSAT``) Authorization; None when
    the header is absent or of another scheme."""
    if value is None:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.upper() not in {"L402", "LSAT"}:
        return None
    macaroon, sep, preimage = credentials.strip().rpartition(":")
    if not sep or not macaroon:
        raise BadToken("expected <macaroon>:<preimage>")
    return macaroon, preimage.lower()


def verify(root_key: bytes, macaroon_text: str, preimage: str, request: str) -> Token:
    if len(preimage) != 64 or not set(preimage) <= _HEX:
        raise BadToken("the preimage is not 32 bytes of hex")
    try:
        macaroon = Macaroon.deserialize(macaroon_text)
        identifier = str(macaroon.identifier)
    except Exception as exc:  # pymacaroons raises many types on garbage
        raise BadToken("unreadable macaroon") from exc
    now = time.time()

    def satisfied(caveat: str) -> bool:
        name, _, value = caveat.partition("=")
        if name == "services":
            return f"{SERVICE}:0" in value.split(",")
        if name == f"{SERVICE}_valid_until":
            return value.isdigit() and int(value) > now
        if name == f"{SERVICE}_request":
            return hmac.compare_digest(value, request)
        return False

    verifier = Verifier()
    verifier.satisfy_general(satisfied)
    try:
        verifier.verify(macaroon, root_key)
    except MacaroonException as exc:
        raise BadToken("the macaroon does not verify") from exc
    except Exception as exc:
        raise BadToken("the macaroon does not verify") from exc
    version, _, rest = identifier.partition(":")
    payment_hash, _, job_id = rest.partition(":")
    if version != VERSION or len(payment_hash) != 64 or not job_id.isalnum():
        raise BadToken("unknown identifier")
    paid = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
    if not hmac.compare_digest(paid, payment_hash):
        raise BadToken("the preimage does not match the invoice")
    return Token(payment_hash, job_id)
