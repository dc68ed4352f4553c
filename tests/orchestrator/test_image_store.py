"""The image store is chosen once, from IMAGE_STORE; an S3 store needs its bucket, takes its
keys as a pair, and its secrets are among those redacted from logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.image_store import build_image_store
from orchestrator.settings import MissingSetting, Settings
from providers.storage.local import LocalImageStore
from providers.storage.s3 import S3ImageStore
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET


def settings(**values: Any) -> Settings:
    base = {"telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": WEBHOOK_SECRET}
    return Settings(_env_file=None, **base, **values)


def test_local_by_default(tmp_path: Path) -> None:
    store = build_image_store(settings(image_store_path=str(tmp_path)), b"k" * 32)
    assert isinstance(store, LocalImageStore)
    assert store.serves_own_links


def test_s3_when_asked_with_its_secrets_redacted() -> None:
    chosen = settings(
        image_store="s3",
        image_s3_bucket="images",
        image_s3_endpoint_url="https://s3.example.org",
        image_s3_access_key_id="AKIAEXAMPLEKEY000000",
        image_s3_secret_access_key="example-secret-access-key-00000000",
    )
    store = build_image_store(chosen, b"k" * 32)
    assert isinstance(store, S3ImageStore)
    assert not store.serves_own_links
    assert "example-secret-access-key-00000000" in chosen.secret_values()
    assert "example-secret-access-key-00000000" not in repr(chosen)


def test_s3_needs_a_bucket_and_both_keys() -> None:
    with pytest.raises(MissingSetting) as missing:
        settings(image_store="s3")
    assert missing.value.variable == "IMAGE_S3_BUCKET"
    with pytest.raises(MissingSetting):
        settings(image_store="s3", image_s3_bucket="images", image_s3_access_key_id="AKIA")
    with pytest.raises(ValueError, match="image_s3_endpoint_url"):
        settings(image_store="s3", image_s3_bucket="images", image_s3_endpoint_url="s3.local")
