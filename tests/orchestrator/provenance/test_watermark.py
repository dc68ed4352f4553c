"""The invisible watermark through what Telegram does to a photo, on varied images."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.provenance import watermark
from tests.orchestrator.provenance.image_set import decoded, images, telegram_photo
from tests.orchestrator.provenance.measuring import measure


def test_the_figures_hold_on_a_varied_sample() -> None:
    # A smaller sample than `make bench` (60 marked, 200 unmarked), every kind and size.
    figures = measure(marked=12, unmarked=30, seed=11)
    assert figures.bit_accuracy >= 0.95
    assert figures.exact >= 0.9, figures.misses
    assert figures.false_detections <= 0.01
    assert figures.psnr_db >= 45  # invisible: a few grey levels at most, smoothly


def test_a_mark_survives_resizing_and_jpeg() -> None:
    _, rgb = next(images(1, seed=3))
    marked = watermark.embed(rgb, 0xABCDEF012345)
    reading = watermark.read(decoded(telegram_photo(marked, quality=80)))
    assert reading.payload == 0xABCDEF012345
    assert reading.confidence > 0.5


def test_an_unmarked_image_is_not_claimed_even_untouched() -> None:
    for _, rgb in images(6, seed=5):
        reading = watermark.read(rgb)
        assert reading.payload is None
        assert reading.confidence < watermark.CONFIDENCE_TO_CLAIM


def test_another_payload_is_not_read_from_a_marked_image() -> None:
    _, rgb = next(images(1, seed=4))
    marked = watermark.embed(rgb, 1)
    assert watermark.read(marked).payload == 1
    assert watermark.read(watermark.embed(rgb, 2)).payload == 2


def test_a_flat_black_image_still_carries_it() -> None:
    black = np.zeros((512, 512, 3), np.uint8)
    marked = watermark.embed(black, 77)
    assert watermark.read(decoded(telegram_photo(marked, quality=85))).payload == 77


@pytest.mark.parametrize("payload", [-1, 1 << 48])
def test_a_payload_beyond_48_bits_is_refused(payload: int) -> None:
    with pytest.raises(ValueError, match="48 bits"):
        watermark.codeword(payload)


def test_an_image_too_small_to_carry_a_mark_is_refused() -> None:
    with pytest.raises(ValueError, match="smaller than"):
        watermark.embed(np.zeros((40, 400, 3), np.uint8), 1)
