"""Bench 5, moderation: the median latency of a prompt check and of an image check
(through ``Moderator``, thread pool included; the prompts and images of
``bench.moderation``) against a provider call measured in the same run: the placeholder
provider drawing one 768 px image (hosted providers take seconds, so this baseline is
the cheapest provider call there is)."""

from __future__ import annotations

import asyncio
import json
import statistics
from functools import partial

from bench.images import synthetic_images
from bench.moderation import PROMPTS, _time_each
from bench.support import bench_settings, emit, register_bench_providers
from orchestrator.moderation import Moderator, Policy
from providers.base import ImageRequest
from providers.placeholder import PlaceholderProvider


async def main() -> None:
    register_bench_providers()
    moderator = Moderator(bench_settings("http://127.0.0.1:9"))
    await moderator.start()
    prompts = [json.loads(line)["prompt"] for line in PROMPTS.read_text().splitlines() if line]
    images = list((await synthetic_images()).values())
    provider = PlaceholderProvider()
    try:
        prompt_ms = await _time_each(
            [partial(moderator.check_prompt, p, Policy.STANDARD) for p in prompts * 3]
        )
        image_ms = await _time_each(
            [partial(moderator.check_image, d, Policy.STRICT) for d in images * 3]
        )
        provider_ms = await _time_each(
            [partial(provider.generate, ImageRequest(prompt=p)) for p in prompts[:20]]
        )
    finally:
        await moderator.stop()
    result = {
        "prompt_ms": statistics.median(prompt_ms),
        "image_ms": statistics.median(image_ms),
        "provider_ms": statistics.median(provider_ms),
        "checks": moderator.active_checks,
    }
    print(result)
    emit(result)


if __name__ == "__main__":
    asyncio.run(main())
