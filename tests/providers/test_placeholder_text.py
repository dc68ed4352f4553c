"""Captions the bundled font cannot draw as they are come out legible, never as boxes."""

from __future__ import annotations

import pytest
from PIL import Image

from providers import placeholder
from providers.placeholder_text import has_glyph, legible


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("a red fox", "a red fox"),
        ("東京の夜", "Dong Jing no Ye"),
        ("한국어 단어", "Han Gug Eo Dan Eo"),
        ("東京tower", "Dong Jing tower"),
        ("Привет мир", "Privet mir"),
        ("مرحبا بالعالم", "mrhb bl`lm"),
        ("a 🦊 in the snow", "a :fox: in the snow"),
        ("café", "cafe"),
        ("zero\u200bwidth", "zerowidth"),
        ("\N{ARABIC LETTER ALEF}", "[arabic letter alef]"),
        ("\U0010fffd", "?"),
        ("  spaced\n\tout  ", "spaced out"),
    ],
)
def test_legible_spells_what_the_font_lacks(text: str, drawn: str) -> None:
    assert legible(text) == drawn
    assert all(has_glyph(char) for char in drawn if not char.isspace())


def test_the_font_lacks_what_is_spelled() -> None:
    assert has_glyph("a")
    assert has_glyph("…")
    assert not has_glyph("東")
    assert not has_glyph("🦊")


def _captioned(caption: str) -> Image.Image:
    img = Image.new("RGB", (400, 300), (30, 90, 60))
    placeholder._label(img, caption)
    return img


def _caption_area(img: Image.Image) -> Image.Image:
    return img.crop((0, 220, 400, 300))


@pytest.mark.parametrize("caption", ["東京の夜", "Привет мир", "a 🦊 and مرحبا"])
def test_a_caption_in_another_script_is_drawn_as_its_transliteration(
    caption: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = _captioned(caption)
    assert _caption_area(drawn).convert("L").point(lambda v: 255 if v > 250 else 0).getbbox()
    assert drawn.tobytes() == _captioned(legible(caption)).tobytes()
    # Drawn as it is, the text would be the font's "missing glyph" boxes instead.
    monkeypatch.setattr(placeholder, "legible", lambda text: text)
    assert drawn.tobytes() != _captioned(caption).tobytes()
