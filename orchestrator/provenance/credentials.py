"""The certificate and key C2PA manifests are signed with.

The operator's own (``PROVENANCE_CERT``: the PEM chain, signer first; ``PROVENANCE_KEY``:
its PEM private key; each the PEM text or a file's path) or, without them, a development
pair made here at start-up: a throwaway certificate authority and an ES256 signing
certificate it issued (C2PA refuses a self-signed signing certificate). Manifests signed
with the development pair validate, but no trust list knows their signer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr

DEV_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    chain_pem: bytes  # signer's certificate first, then its issuers
    key_pem: bytes
    development: bool  # made here: validators will call the signer untrusted

    def __repr__(self) -> str:  # the key never reaches a log
        return f"SigningCredentials(development={self.development})"


def _pem(value: SecretStr) -> bytes:
    text = value.get_secret_value().strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).expanduser().read_bytes()


def load_credentials(cert: SecretStr | None, key: SecretStr | None) -> SigningCredentials:
    """The operator's pair when both are given, else a development pair."""
    if cert is not None and key is not None:
        return SigningCredentials(_pem(cert), _pem(key), development=False)
    if cert is not None or key is not None:
        raise ValueError("PROVENANCE_CERT and PROVENANCE_KEY go together")
    return development_credentials()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fulmine (development)"),
        ]
    )


def _usage(*, signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def development_credentials() -> SigningCredentials:
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + DEV_VALIDITY
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Fulmine development CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Fulmine development signer"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningCredentials(chain, key_pem, development=True)
