"""Image bytes the fakes hand out."""

from __future__ import annotations

import io

from PIL import Image


def png(size: tuple[int, int] = (96, 64), color: str | tuple[int, int, int] = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()
