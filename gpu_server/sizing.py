"""Output sizes: an aspect ratio and an area to width x height the model can make."""

from __future__ import annotations

import math

from gpu_server.errors import BadSize


def parse_aspect(text: str) -> tuple[int, int]:
    """``"16:9"`` as (16, 9); BadSize for zero or an aspect beyond 20:1."""
    width_text, _, height_text = text.partition(":")
    width, height = int(width_text), int(height_text)
    if width <= 0 or height <= 0 or max(width / height, height / width) > 20:
        raise BadSize(f"aspect ratio {text} is not between 1:20 and 20:1")
    return width, height


def fit_size(
    aspect: tuple[int, int], area: int, multiple_of: int, max_side: int
) -> tuple[int, int]:
    """Width and height at ``aspect`` covering about ``area`` pixels, each a multiple of
    ``multiple_of`` and within [multiple_of, max_side]."""
    ratio = aspect[0] / aspect[1]

    def snap(value: float) -> int:
        snapped = round(value / multiple_of) * multiple_of
        return max(multiple_of, min(max_side // multiple_of * multiple_of, snapped))

    return snap(math.sqrt(area * ratio)), snap(math.sqrt(area / ratio))


def check_size(width: int, height: int, multiple_of: int, max_side: int) -> None:
    """BadSize unless both sides are multiples of ``multiple_of`` and at most ``max_side``."""
    for name, value in (("width", width), ("height", height)):
        if value % multiple_of or not multiple_of <= value <= max_side:
            raise BadSize(f"{name} must be a multiple of {multiple_of} up to {max_side}")
