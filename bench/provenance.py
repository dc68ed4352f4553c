"""Bench 6, provenance: the invisible watermark through what Telegram does to a photo
(the long side brought to 1280 px, JPEG at quality 80 to 87) on 60 varied images built
in code (photo-like, the placeholder provider's, flat illustrations, text-heavy, dark,
gradients, small), false detections on 200 unmarked ones, and the cost per image: the
watermark alone, and the whole stamp (watermark, C2PA signature, record) against the
placeholder provider's call on the same 768 px image."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.support import bench_settings, emit, register_bench_providers
from orchestrator.provenance.service import Provenance
from providers.base import ImageRequest
from providers.placeholder import PlaceholderProvider
from state.memory import MemoryStateStore
from state.models import Job, JobKind
from tests.orchestrator.provenance.measuring import measure

MARKED, UNMARKED, STAMPS = 60, 200, 20


async def _stamp_and_provider_ms() -> tuple[float, float]:
    register_bench_providers()  # the bench settings name the bench's own providers
    provenance = Provenance(bench_settings("http://127.0.0.1:9"), MemoryStateStore())
    await provenance.start()
    provider = PlaceholderProvider()
    stamp_ms, provider_ms = [], []
    for i in range(STAMPS):
        started = time.perf_counter()
        images = await provider.generate(ImageRequest(prompt=f"a lighthouse {i}"))
        provider_ms.append(1000 * (time.perf_counter() - started))
        job = Job(kind=JobKind.GENERATE, prompt="p", chat_id=1, user_id=1, request_message_id=1)
        started = time.perf_counter()
        await provenance.stamp(job, images, provider.name, None)
        stamp_ms.append(1000 * (time.perf_counter() - started))
    return statistics.median(stamp_ms), statistics.median(provider_ms)


def main() -> None:
    figures = measure(MARKED, UNMARKED)
    stamp_ms, provider_ms = asyncio.run(_stamp_and_provider_ms())
    emit(
        {
            "marked": figures.marked,
            "bit_accuracy": figures.bit_accuracy,
            "exact": figures.exact,
            "unmarked": figures.unmarked,
            "false_detections": figures.false_detections,
            "embed_ms": figures.embed_ms,
            "read_ms": figures.read_ms,
            "psnr_db": figures.psnr_db,
            "stamp_ms": stamp_ms,
            "provider_ms": provider_ms,
            "misses": list(figures.misses),
        }
    )


if __name__ == "__main__":
    main()
