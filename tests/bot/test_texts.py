from __future__ import annotations

import json
import string
from importlib import resources

import pytest

from bot import texts


def test_every_language_has_every_key_with_the_same_fields() -> None:
    english = json.loads((resources.files("bot") / "locales" / "en.json").read_text())
    for language in texts.available_languages():
        catalog = json.loads((resources.files("bot") / "locales" / f"{language}.json").read_text())
        assert set(catalog) == set(english), language
        for key, template in catalog.items():
            fields = set().union(*map(texts.field_names, texts.templates(english[key])))
            for written in texts.templates(template):
                assert texts.field_names(written) <= fields, (language, key)
            if isinstance(template, dict):
                forms = set(template) - {texts.PLURAL_FIELD}
                assert forms == texts.plural_forms(language), (language, key)
                assert template[texts.PLURAL_FIELD] in fields, (language, key)


def _has_letters(template: str) -> bool:
    """Whether a template says any words once its {placeholders} are taken out."""
    literal = "".join(text for text, *_ in string.Formatter().parse(template))
    return any(character.isalpha() for character in literal)


def test_no_language_leaves_a_text_in_english() -> None:
    """A text identical to English is an untranslated one, unless it has no words at all
    (``"{name}: {prompt}"``, ``"🔍 {n}"``)."""
    english = json.loads((resources.files("bot") / "locales" / "en.json").read_text())
    for language in texts.available_languages():
        if language == texts.DEFAULT_LANGUAGE:
            continue
        catalog = json.loads((resources.files("bot") / "locales" / f"{language}.json").read_text())
        for key, template in catalog.items():
            same = set(texts.templates(template)) & set(texts.templates(english[key]))
            assert not {written for written in same if _has_letters(written)}, (language, key)


def test_has_letters_sees_words_outside_placeholders_only() -> None:
    assert not _has_letters("{name}: {prompt}")
    assert not _has_letters("🔍 {n}")
    assert _has_letters("{seconds} s")
    assert _has_letters("Saved.")


def test_every_language_is_picked_by_its_own_tag() -> None:
    for language in texts.available_languages():
        assert texts.pick_language(language) == language
        assert texts.pick_language(language.upper()) == language
        if "-" not in language:
            assert texts.pick_language(f"{language}-zz") == language  # a region without a file


def test_a_bare_language_takes_its_one_regional_file() -> None:
    """``pt`` (and ``pt-pt``) get ``pt-br`` when it is the only Portuguese file."""
    languages = texts.available_languages()
    for language in languages:
        bare, _, region = language.partition("-")
        regional = [other for other in languages if other.startswith(f"{bare}-")]
        if region and bare not in languages and regional == [language]:
            assert texts.pick_language(bare) == language
            assert texts.pick_language(f"{bare}-zz") == language


def test_unknown_or_hostile_language_codes_fall_back_to_english() -> None:
    assert texts.pick_language(None) == "en"
    assert texts.pick_language("xx") == "en"
    assert texts.pick_language("../../etc/passwd") == "en"
    assert texts.pick_language("EN-gb") == "en"


def test_text_formats_named_fields() -> None:
    assert "42" in texts.text("prompt_too_long", "en", length=42, max_chars=10)
    with pytest.raises(KeyError):
        texts.text("prompt_too_long", "en", length=42)


def test_a_count_picks_its_plural_form() -> None:
    assert texts.text("pool_used_line", "en", name="Ann", images=1) == "Ann: 1 image today"
    assert texts.text("pool_used_line", "en", name="Ann", images=3) == "Ann: 3 images today"


def test_plural_forms_follow_each_languages_rules() -> None:
    assert texts.plural_forms("en") == {"one", "other"}
    assert texts.plural_forms("ru") == {"one", "few", "many", "other"}
    assert [texts.plural_form("ru", n) for n in (1, 3, 5, 21)] == ["one", "few", "many", "one"]
    assert texts.plural_form("pt-br", 0) == "one"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (30, "1 minute"),
        (45 * 60, "45 minutes"),
        (3600, "1 hour"),
        (3601, "1 hour 1 minute"),
        (2 * 3600 + 300, "2 hours 5 minutes"),
    ],
)
def test_a_duration_is_said_plainly(seconds: float, said: str) -> None:
    assert texts.duration(seconds) == said
