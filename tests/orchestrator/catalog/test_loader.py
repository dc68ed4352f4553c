"""The catalog file: the shipped default loads; bad entries are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.catalog import Catalog, CatalogError

GOOD = """
[models.fast]
kind = "generate"
provider = "replicate"
model = "acme/fast"
price_sats = 10
description = "Fast"

[models.fine]
kind = "generate"
provider = "replicate,fal"
model = { replicate = "acme/fine", fal = "fal-ai/fine" }
price_sats = 40
description = "Fine"
default = true
default_lora = "ink"
loras = { ink = { weights = "huggingface.co/acme/ink", scale = 0.8 } }

[models.off]
kind = "edit"
provider = "fal"
model = "fal-ai/off"
price_sats = 5
description = "Hidden"
enabled = false
"""


def test_the_shipped_default_has_the_real_models() -> None:
    catalog = Catalog.load()
    assert catalog.source == "default.toml"
    flux_dev = catalog.get("flux-dev")
    assert flux_dev is not None
    assert flux_dev.model["replicate"] == "black-forest-labs/flux-dev-lora"
    assert catalog.get("flux-schnell").model == {"replicate": "black-forest-labs/flux-schnell"}  # type: ignore[union-attr]
    assert catalog.get("flux-pro").model == {"replicate": "black-forest-labs/flux-1.1-pro"}  # type: ignore[union-attr]
    assert catalog.get("nano-banana").model == {"fal": "fal-ai/nano-banana/edit"}  # type: ignore[union-attr]
    assert catalog.get("kontext").model == {"fal": "fal-ai/flux-pro/kontext"}  # type: ignore[union-attr]
    assert catalog.default_for("generate") is flux_dev
    assert catalog.default_for("edit") is catalog.get("nano-banana")
    assert catalog.default_for("upscale") is catalog.get("esrgan")
    assert catalog.price_for("flux-schnell", 3) == 3 * catalog.get("flux-schnell").price_sats  # type: ignore[union-attr]
    assert catalog.get("flux-schnell").price_sats < flux_dev.price_sats  # type: ignore[union-attr]


def test_a_file_loads_in_order_with_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(GOOD)
    catalog = Catalog.load(path)
    assert [entry.name for entry in catalog.visible()] == ["fast", "fine"]
    fine = catalog.default_for("generate")
    assert fine is not None
    assert fine.name == "fine"
    assert fine.provider == ("replicate", "fal")
    assert fine.loras["ink"].weights == "huggingface.co/acme/ink"
    assert fine.loras["ink"].scale == 0.8
    assert catalog.default_for("edit") is None  # the only edit model is disabled
    assert catalog.get("OFF") is not None  # names are case-insensitive; disabled still known
    assert catalog.pick("off", "edit") is None
    assert catalog.pick("fast", "edit") is None  # the wrong kind
    assert catalog.pick("fast", "generate") is catalog.get("fast")
    with pytest.raises(KeyError):
        catalog.price_for("nothing")


@pytest.mark.parametrize(
    ("change", "model", "field", "words"),
    [
        (("price_sats = 10", "price_sats = 0"), "fast", "price_sats", "greater than or equal"),
        (('kind = "generate"', 'kind = "paint"'), "fast", "kind", "'generate', 'edit'"),
        (('provider = "replicate"', 'provider = "midjourney"'), "fast", "provider", "one of"),
        (('model = "acme/fast"', 'model = "not a model"'), "fast", "model", "not a model id"),
        (('model = "acme/fast"\n', ""), "fast", None, "needs an id for replicate"),
        (('description = "Fast"', 'description = ""'), "fast", "description", "at least 1"),
        (("price_sats = 10", 'price_sats = 10\ncolour = "red"'), "fast", "colour", "Extra inputs"),
        (('default_lora = "ink"', 'default_lora = "oil"'), "fine", None, "not one of the loras"),
        (("[models.fast]", '[models."Fast Model"]'), "Fast Model", "name", "should match"),
        (("enabled = false", "default = true\nenabled = false"), "off", "default", "more than one"),
    ],
)
def test_a_bad_entry_is_refused_naming_file_model_and_field(
    tmp_path: Path, change: tuple[str, str], model: str, field: str | None, words: str
) -> None:
    path = tmp_path / "models.toml"
    text = GOOD.replace(*change, 1)
    if field == "default":  # two defaults of one kind: make the second a generate model
        text = GOOD.replace('kind = "edit"', 'kind = "generate"').replace(*change)
    path.write_text(text)
    with pytest.raises(CatalogError) as caught:
        Catalog.load(path)
    error = caught.value
    message = str(error)
    assert message.startswith("models.toml")
    assert error.model == model
    assert f"model {model!r}" in message
    if field is not None:
        assert error.field == field
        assert f"field {field!r}" in message
    assert words in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[models", "not valid TOML"),
        ("title = 'x'", "unknown table 'title'"),
        ("", "declares no models"),
        ("[models]\nfast = 3", "must be a table"),
    ],
)
def test_a_bad_file_is_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "models.toml"
    path.write_text(text)
    with pytest.raises(CatalogError, match=words):
        Catalog.load(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot be read"):
        Catalog.load(tmp_path / "nowhere.toml")


def test_what_users_see_has_no_weights_or_provider_ids() -> None:
    entry = Catalog.from_toml(GOOD).get("fine")
    assert entry is not None
    public = entry.public()
    assert public == {
        "name": "fine",
        "kind": "generate",
        "price_sats": 40,
        "description": "Fine",
        "loras": ["ink"],
        "default": True,
    }
