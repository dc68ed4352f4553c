"""The invisible watermark: 48 bits hidden in an image's brightness, read back after the
JPEG re-encoding and resizing chat platforms apply.

The scheme is quantisation index modulation (the idea behind ``invisible-watermark``'s
DWT-DCT methods) on low-frequency block means. The frame is cut into a 32 x 32 grid of
cells in normalised coordinates, so a resized copy has the same cells. Each cell's mean
luma, weighted by a smooth raised-cosine bump, is moved (mostly by ``STEP / 2`` at most)
onto one of two interleaved lattices (shifted by a per-cell dither), which one saying the
cell's bit.
The change is the bump itself: smooth, zero at the cell's edges, a few grey levels at most.
JPEG keeps low frequencies and resizing keeps local means, so the bits survive both.

The 64 embedded bits are the 48-bit payload and a CRC-16 of it; each bit is carried by 16
cells spread over the frame. Reading averages each bit's soft votes; a mark is claimed only
when the votes agree strongly and the CRC matches, so unmarked images are not claimed.

Why not the ``invisible-watermark`` package itself: it imports torch and opencv-python at
import time (opencv needs libGL, absent from slim images), its DWT-DCT grid is tied to
pixel positions so a resize loses the mark, and it reads hard bits with no confidence to
reject unmarked images; ``trustmark`` downloads its model weights at first use. This
module needs numpy only. Cropping is not survived. All functions are CPU-bound.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

PAYLOAD_BITS = 48
CRC_BITS = 16
CODE_BITS = PAYLOAD_BITS + CRC_BITS
GRID = 32  # cells per side: 1024 cells, each codeword bit in 16 of them
STEP = 4.0  # grey levels between a cell's lattice points; the mean moves by at most STEP/2
MIN_SIDE = 64  # below this a cell is under 2 pixels wide
CONFIDENCE_TO_CLAIM = 0.3  # mean |vote| over the codeword bits (unmarked: 0.1 to 0.2)
EMBED_PASSES = 2
OFFSETS = np.arange(-4, 4) * STEP / 8  # grey levels tried when reading
_KEY = 0x46554C4D  # fixes the dither and the bits' cells; not a secret

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Reading:
    """What one image's brightness says: the payload when a mark was found."""

    payload: int | None
    confidence: float  # 0 (no agreement) to 1 (every vote agrees)
    bits: tuple[int, ...]  # the 64 codeword bits as read, for measurement


def _crc16(payload: int) -> int:
    """CRC-16/CCITT-FALSE of the payload's 6 bytes."""
    crc = 0xFFFF
    for byte in payload.to_bytes(PAYLOAD_BITS // 8, "big"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _word(bits: NDArray[np.bool_] | NDArray[np.int64]) -> int:
    return int("".join("1" if b else "0" for b in bits), 2)


def _crc_matches(bits: NDArray[np.bool_]) -> bool:
    word = _word(bits)
    return _crc16(word >> CRC_BITS) == word & ((1 << CRC_BITS) - 1)


def codeword(payload: int) -> NDArray[np.int64]:
    """The 64 bits embedded for ``payload`` (48 bits), most significant first."""
    if not 0 <= payload < 1 << PAYLOAD_BITS:
        raise ValueError("payload must fit in 48 bits")
    word = (payload << CRC_BITS) | _crc16(payload)
    return np.array([(word >> (CODE_BITS - 1 - i)) & 1 for i in range(CODE_BITS)])


@functools.cache
def _layout() -> tuple[Floats, NDArray[np.int64]]:
    """Each cell's dither (grey levels) and the codeword bit it carries."""
    rng = np.random.default_rng(_KEY)
    dither = rng.uniform(0.0, STEP, size=(GRID, GRID))
    which = rng.permutation(np.arange(GRID * GRID) % CODE_BITS).reshape(GRID, GRID)
    return dither, which


@functools.lru_cache(maxsize=32)
def _windows(n: int) -> Floats:
    """GRID x n: each cell's raised-cosine bump along an axis of ``n`` pixels."""
    u = (np.arange(n) + 0.5) * GRID / n
    cell = np.minimum(u.astype(np.int64), GRID - 1)
    w = np.zeros((GRID, n))
    w[cell, np.arange(n)] = np.sin(np.pi * (u - cell)) ** 2
    return w


def _luma(rgb: NDArray[np.uint8] | Floats) -> Floats:
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32), np.float64)


def _cell_means(luma: Floats) -> tuple[Floats, Floats, Floats]:
    wy, wx = _windows(luma.shape[0]), _windows(luma.shape[1])
    sy, sx = wy.sum(axis=1), wx.sum(axis=1)
    means = (wy @ luma @ wx.T) / np.outer(sy, sx)
    return means, wy, wx


def _check_size(rgb: NDArray[np.uint8]) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("expected an RGB image")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise ValueError(f"image smaller than {MIN_SIDE} pixels on a side")


def embed(rgb: NDArray[np.uint8], payload: int) -> NDArray[np.uint8]:
    """A copy of ``rgb`` (height x width x 3) carrying ``payload``."""
    _check_size(rgb)
    dither, which = _layout()
    bits = codeword(payload)[which]
    image = rgb.astype(np.float32)
    means, wy, wx = _cell_means(_luma(rgb))
    # The nearest lattice point of the cell's bit: bit b sits at (k + b/2) * STEP + dither.
    r = (means - dither) / STEP - bits / 2
    shift = (np.round(r) - r) * STEP
    # The bump's peak is `gain` times the mean's shift; a shift that would push a dark
    # (or bright) cell past black (white) takes the lattice point on the other side.
    gain = np.outer(wy.sum(1) / (wy**2).sum(1), wx.sum(1) / (wx**2).sum(1))
    shift = np.where((shift < 0) & (means + shift * gain < 0), shift + STEP, shift)
    shift = np.where((shift > 0) & (means + shift * gain > 255), shift - STEP, shift)
    target = means + shift
    # Pixels clipped at black or white move less than asked (text on white, say): the
    # cells that missed their target are pushed again, by what they missed.
    for _ in range(EMBED_PASSES):
        delta = (wy.T @ (shift * gain) @ wx).astype(np.float32)
        image = np.clip(image + delta[..., None], 0, 255)
        means, _, _ = _cell_means(_luma(image))
        shift = target - means
    return np.rint(image).astype(np.uint8)


def read(rgb: NDArray[np.uint8]) -> Reading:
    """The payload ``rgb`` carries, if any (``Reading.payload`` None otherwise)."""
    _check_size(rgb)
    dither, which = _layout()
    means, _, _ = _cell_means(_luma(rgb))
    # A uniform brightness change (JPEG's clipping around text, a filter) moves every
    # mean alike: the reading is taken at the offset where the votes agree best among
    # those whose CRC matches. A shift of STEP/2 reads as every bit flipped; the CRC tells.
    counts = np.bincount(which.ravel(), minlength=CODE_BITS)
    best: tuple[float, bool, Floats] | None = None
    for offset in OFFSETS:
        votes = np.cos(2 * np.pi * (means - dither - offset) / STEP)  # +1: bit 0, -1: bit 1
        per_bit = np.bincount(which.ravel(), weights=votes.ravel(), minlength=CODE_BITS) / counts
        confidence = float(np.abs(per_bit).mean())
        valid = _crc_matches(per_bit < 0)
        if best is None or (valid, confidence) > (best[1], best[0]):
            best = (confidence, valid, per_bit)
    assert best is not None
    confidence, valid, per_bit = best
    bits = (per_bit < 0).astype(np.int64)
    found = valid and confidence >= CONFIDENCE_TO_CLAIM
    return Reading(
        payload=_word(bits) >> CRC_BITS if found else None,
        confidence=confidence,
        bits=tuple(int(b) for b in bits),
    )
