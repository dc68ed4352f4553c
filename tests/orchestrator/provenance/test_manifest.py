"""C2PA manifests signed here and read back by c2pa-python."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from orchestrator.provenance import manifest
from orchestrator.provenance.credentials import (
    SigningCredentials,
    development_credentials,
    load_credentials,
)
from orchestrator.provenance.manifest import TRAINED_ALGORITHMIC_MEDIA, Claims

WHEN = "2026-01-02T03:04:05+00:00"


@pytest.fixture(scope="module")
def credentials() -> SigningCredentials:
    return development_credentials()


def _image(fmt: str, color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, fmt)
    return out.getvalue()


def test_a_made_image_says_it_was_made_by_a_model(credentials: SigningCredentials) -> None:
    claims = Claims("generate", "flux-dev-lora", "replicate", WHEN, prompt=None)
    signed = manifest.sign(_image("JPEG"), "image/jpeg", claims, credentials)
    found = manifest.read(signed, "image/jpeg")
    assert found is not None
    assert found.valid
    assert not found.trusted
    assert found.actions == ("c2pa.created",)
    assert found.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert (found.model, found.provider, found.when) == ("flux-dev-lora", "replicate", WHEN)
    assert found.generator is not None
    assert found.generator.startswith("Fulmine")
    assert found.signer == "Fulmine development signer"
    assert b"prompt" not in signed


def test_the_prompt_goes_in_only_when_asked(credentials: SigningCredentials) -> None:
    claims = Claims("generate", "m", "p", WHEN, prompt="a red fox at dawn")
    signed = manifest.sign(_image("PNG"), "image/png", claims, credentials)
    assert b"a red fox at dawn" in signed


def test_an_edit_names_its_input_as_an_ingredient(credentials: SigningCredentials) -> None:
    claims = Claims("edit", "fal-ai/nano-banana/edit", "fal", WHEN)
    source = _image("JPEG", (200, 30, 30))
    signed = manifest.sign(_image("PNG"), "image/png", claims, credentials, (source, "image/jpeg"))
    found = manifest.read(signed, "image/png")
    assert found is not None
    assert found.valid
    assert found.actions == ("c2pa.opened", "c2pa.edited")
    assert found.ingredients == 1
    assert found.digital_source_type == TRAINED_ALGORITHMIC_MEDIA


def test_a_tampered_file_fails_validation(credentials: SigningCredentials) -> None:
    claims = Claims("generate", "m", "p", WHEN)
    signed = bytearray(manifest.sign(_image("JPEG"), "image/jpeg", claims, credentials))
    signed[-200] ^= 0x5A  # inside the picture data, after the manifest
    found = manifest.read(bytes(signed), "image/jpeg")
    assert found is not None
    assert not found.valid
    assert found.failures


def test_a_file_without_a_manifest_has_none() -> None:
    assert manifest.read(_image("PNG"), "image/png") is None


def test_the_operator_pair_is_read_from_text_or_files(
    credentials: SigningCredentials, tmp_path: Path
) -> None:
    (tmp_path / "chain.pem").write_bytes(credentials.chain_pem)
    from_files = load_credentials(
        SecretStr(str(tmp_path / "chain.pem")), SecretStr(credentials.key_pem.decode())
    )
    assert not from_files.development
    assert from_files.chain_pem == credentials.chain_pem
    assert "BEGIN" not in repr(from_files)  # the key never reaches a log
    claims = Claims("generate", "m", "p", WHEN)
    signed = manifest.sign(_image("JPEG"), "image/jpeg", claims, from_files)
    found = manifest.read(signed, "image/jpeg")
    assert found is not None
    assert found.valid


def test_half_an_operator_pair_is_refused(credentials: SigningCredentials) -> None:
    with pytest.raises(ValueError, match="go together"):
        load_credentials(SecretStr(credentials.chain_pem.decode()), None)
