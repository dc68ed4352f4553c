from __future__ import annotations

import json
from importlib import resources

import pytest

from bot import texts


def test_every_language_has_every_key_with_the_same_fields() -> None:
    english = json.loads((resources.files("bot") / "locales" / "en.json").read_text())
    for language in texts.available_languages():
        catalog = json.loads((resources.files("bot") / "locales" / f"{language}.json").read_text())
        assert set(catalog) == set(english), language
        for key, template in catalog.items():
            assert texts.field_names(template) == texts.field_names(english[key]), (language, key)


def test_unknown_or_hostile_language_codes_fall_back_to_english() -> None:
    assert texts.pick_language(None) == "en"
    assert texts.pick_language("xx") == "en"
    assert texts.pick_language("../../etc/passwd") == "en"
    assert texts.pick_language("EN-gb") == "en"


def test_text_formats_named_fields() -> None:
    assert "42" in texts.text("prompt_too_long", "en", length=42, max_chars=10)
    with pytest.raises(KeyError):
        texts.text("prompt_too_long", "en", length=42)
