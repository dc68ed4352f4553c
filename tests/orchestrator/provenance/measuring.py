"""The watermark's figures on a set of images: what the tests assert and the bench reports."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from orchestrator.provenance import watermark
from tests.orchestrator.provenance.image_set import decoded, images, telegram_photo


@dataclass(frozen=True, slots=True)
class Figures:
    marked: int
    bit_accuracy: float  # mean over images, of the 64 codeword bits
    exact: float  # share of images whose payload was read back exactly
    unmarked: int
    false_detections: float  # share of unmarked images claimed
    embed_ms: float  # mean added time to mark one image
    read_ms: float  # mean time to read one
    psnr_db: float  # mean peak signal-to-noise ratio of the marked image
    misses: tuple[str, ...]  # images whose payload was not read back


def measure(marked: int, unmarked: int, seed: int = 7) -> Figures:
    accuracies, exact, embed_s, read_s, psnr, misses = [], 0, [], [], [], []
    payloads = random.Random(seed)  # the same figures on every run
    for i, (name, rgb) in enumerate(images(marked, seed)):
        payload = payloads.getrandbits(watermark.PAYLOAD_BITS)
        started = time.perf_counter()
        out = watermark.embed(rgb, payload)
        embed_s.append(time.perf_counter() - started)
        noise = np.mean((out.astype(float) - rgb) ** 2)
        psnr.append(10 * np.log10(255**2 / max(noise, 1e-9)))
        received = decoded(telegram_photo(out, quality=80 + i % 8))
        started = time.perf_counter()
        reading = watermark.read(received)
        read_s.append(time.perf_counter() - started)
        accuracies.append(np.mean(np.array(reading.bits) == watermark.codeword(payload)))
        if reading.payload == payload:
            exact += 1
        else:
            misses.append(name)
    claimed = 0
    for i, (_, rgb) in enumerate(images(unmarked, seed + 1000)):
        if watermark.read(decoded(telegram_photo(rgb, quality=80 + i % 8))).payload is not None:
            claimed += 1
    return Figures(
        marked=marked,
        bit_accuracy=float(np.mean(accuracies)),
        exact=exact / marked,
        unmarked=unmarked,
        false_detections=claimed / unmarked,
        embed_ms=1000 * float(np.mean(embed_s)),
        read_ms=1000 * float(np.mean(read_s)),
        psnr_db=float(np.mean(psnr)),
        misses=tuple(misses),
    )
