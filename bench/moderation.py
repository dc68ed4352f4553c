"""Latency of the moderation engine on this machine (not a test: nothing is asserted).

    .venv/bin/python -m bench.moderation

Prints the start-up (model load) time, per-prompt latency over the labelled prompt set
(tests/data/moderation_prompts.jsonl) and per-image latency on the placeholder provider's
images and synthetic images, both through ``Moderator`` (thread pool included) and for the
bare check, as median and 95th percentile.
"""

from __future__ import annotations

import asyncio
import io
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from PIL import Image

from bench.images import synthetic_images
from bench.support import WEBHOOK_SECRET
from orchestrator.moderation import Moderator, Policy
from orchestrator.settings import Settings

PROMPTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "moderation_prompts.jsonl"


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms (n={len(ordered)})"


async def _time_each(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def main() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token="1:bench", telegram_webhook_secret=WEBHOOK_SECRET
    )
    moderator = Moderator(settings)
    started = time.perf_counter()
    await moderator.start()
    print(f"start-up (models loaded, warmed): {time.perf_counter() - started:.2f} s")
    print(f"checks active: {', '.join(moderator.active_checks)}")
    prompts = [json.loads(line)["prompt"] for line in PROMPTS.read_text().splitlines() if line]
    images = await synthetic_images()
    try:
        samples = await _time_each(
            [lambda p=p: moderator.check_prompt(p, Policy.STANDARD) for p in prompts * 3]
        )
        print(f"prompt via Moderator (standard): {_percentiles(samples)}")
        checker = moderator.prompt_checker
        bare = [time.perf_counter()]
        bare_samples = []
        for prompt in prompts * 3:
            bare[0] = time.perf_counter()
            checker.check(prompt, Policy.STANDARD)
            bare_samples.append((time.perf_counter() - bare[0]) * 1000)
        print(f"prompt, bare check (no thread hop): {_percentiles(bare_samples)}")
        image_model = moderator.image_checker.model
        if image_model is not None:
            bare_images = []
            for data in list(images.values()) * 3:
                started = time.perf_counter()
                image_model.score(data)
                bare_images.append((time.perf_counter() - started) * 1000)
            print(f"image, bare model (no thread hop): {_percentiles(bare_images)}")
        samples = await _time_each(
            [lambda d=d: moderator.check_image(d, Policy.STRICT) for d in images.values()] * 3
        )
        print(f"image via Moderator (768 px placeholder and synthetic): {_percentiles(samples)}")
        with Image.open(io.BytesIO(images["placeholder:a red fox in the snow"])) as small:
            buffer = io.BytesIO()
            small.resize((2048, 2048)).save(buffer, format="JPEG", quality=90)
        big = buffer.getvalue()
        samples = await _time_each([lambda: moderator.check_image(big, Policy.STRICT)] * 10)
        print(f"image via Moderator (2048 px JPEG): {_percentiles(samples)}")
        for name, data in images.items():
            decision = await moderator.check_image(data, Policy.STRICT)
            print(f"  {name:40} score {decision.score:.3f}")
    finally:
        await moderator.stop()


if __name__ == "__main__":
    asyncio.run(main())
