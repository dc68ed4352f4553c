"""Text on placeholder images: Pillow's bundled font, and legible captions in any script.

The bundled font has ASCII glyphs (and a few more) only. A character it has no glyph for is
transliterated to ASCII (``anyascii``: 東京 -> "Dong Jing", Привет -> "Privet", 🦊 ->
":fox:"), or named when there is no transliteration ("[arabic letter alef]"), so a caption
never shows "missing glyph" boxes.
"""

from __future__ import annotations

import functools
import threading
import unicodedata

from anyascii import anyascii
from PIL import ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def text_font(size: int) -> Font:
    return ImageFont.load_default(size=max(6, size))


# Scripts written without spaces between words: their transliteration (a syllable per
# character) reads better with a space between characters.
_SYLLABIC = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "YI ", "BOPOMOFO")
_GLYPH_PROBE_SIZE = 20
_NO_SUCH_CHARACTER = "\U0010fffd"  # private use: no font draws it, so it shows the .notdef box


def _glyph_signature(font: Font, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


_probe_lock = threading.Lock()  # drawing runs in worker threads; one face, one at a time


@functools.cache
def _probe_font() -> Font:
    return text_font(_GLYPH_PROBE_SIZE)


@functools.lru_cache(maxsize=4096)
def has_glyph(char: str) -> bool:
    """Whether the bundled font draws ``char`` (rather than its "missing glyph" box)."""
    with _probe_lock:
        font = _probe_font()
        if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow without FreeType: ASCII
            return char.isascii()
        return _glyph_signature(font, char) != _glyph_signature(font, _NO_SUCH_CHARACTER)


def _named(char: str) -> str:
    """A character with no transliteration: its name, or nothing for one that shows nothing
    anyway (controls, formatting, combining marks, spaces)."""
    if unicodedata.category(char) in {"Cc", "Cf", "Mn", "Mc", "Me", "Zs", "Zl", "Zp"}:
        return ""
    name = unicodedata.name(char, "")
    return f"[{name.lower()}]" if name else "?"


def _spelled(run: str) -> str:
    """ASCII for a run of characters the font cannot draw."""
    if all(unicodedata.name(char, "").startswith(_SYLLABIC) for char in run):
        return " " + " ".join(anyascii(char) for char in run) + " "
    return anyascii(run) or "".join(_named(char) for char in run)


def legible(text: str) -> str:
    """``text`` with every run of characters the bundled font lacks spelled in ASCII, and
    its white space single spaces."""
    out: list[str] = []
    missing = ""
    for char in text:
        if char.isspace() or has_glyph(char):
            out.append(_spelled(missing) if missing else "")
            out.append(" " if char.isspace() else char)
            missing = ""
        else:
            missing += char
    out.append(_spelled(missing) if missing else "")
    return " ".join("".join(out).split())


def fitting_font(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> Font:
    font = text_font(size)
    while size > 6 and draw.textlength(text, font=font) > max_width:
        size = size * 9 // 10
        font = text_font(size)
    return font


def _pieces(draw: ImageDraw.ImageDraw, word: str, font: Font, max_width: int) -> list[str]:
    """``word`` cut into pieces that fit ``max_width`` (a word wider than a line)."""
    pieces = [""]
    for char in word:
        if pieces[-1] and draw.textlength(pieces[-1] + char, font=font) > max_width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.extend(_pieces(draw, word, font, max_width))
    return lines
