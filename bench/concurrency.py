"""Bench 3, concurrency: 1,000 jobs in flight at once, each on a provider that takes 30 s
(``bench-sleep``; ``BENCH_PROVIDER_SLEEP_S`` shortens it, for trying the bench only).

Memory per job: the growth of this process's resident set from before the burst to the
most provider calls waiting at once, divided by that number (one-time costs such as the
first connection pools count too, so it over-states). Event-loop lag: how late a 10 ms
sleep wakes up while the jobs wait, i.e. from the moment all 1,000 are in flight until the
first provider call ends (chat actions within their budget, the queue and the claims
kept); the baseline is the same sampling with nothing in flight. The lag during the ramp
(1,000 updates arriving as fast as the handlers take them, at most ``HANDLING`` at once,
each sending its status message) is reported beside it: that is ingest under a burst, not
waiting. If starting all 1,000 takes longer than the provider's 30 s, the peak in flight is
reported with the figures and the waiting window is empty.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.support import (
    EmulatorProcess,
    SleepingProvider,
    bench_settings,
    emit,
    percentile,
    register_bench_providers,
)
from bot.frontend import TelegramFrontend
from orchestrator.runtime import Runtime
from orchestrator.serving.logs import configure_logging
from state.models import JobKind

JOBS = 1000
TICK_S = 0.01
# Updates being handled at once while the burst arrives. Unpaced, 1,000 at once exhaust
# python-telegram-bot's connection pool (256, 1 s pool timeout): about half the handlers
# fail with TimedOut and those users get no answer (see bench/RESULTS.md).
HANDLING = 100


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


LAG: list[tuple[float, float]] = []  # (when, lag ms) of the run being cancelled


async def lag_samples(seconds: float) -> list[tuple[float, float]]:
    samples = LAG
    samples.clear()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await asyncio.sleep(TICK_S)
        samples.append((started, (time.perf_counter() - started - TICK_S) * 1000))
    return samples


async def feed(runtime: Runtime, updates: list[dict[str, Any]]) -> None:
    telegram = runtime.frontend("telegram")
    assert isinstance(telegram, TelegramFrontend)
    for update in updates:
        while len(runtime.updates) >= HANDLING:  # noqa: ASYNC110 - a bound, not an event
            await asyncio.sleep(0.005)
        await telegram.accept_update(update)


async def main() -> None:
    register_bench_providers()
    configure_logging("INFO", json=True)
    sleep_s = float(os.environ.get("BENCH_PROVIDER_SLEEP_S", "30"))
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorProcess(Path(tmp), updates=JOBS, users=JOBS) as emulator,
    ):
        updates = emulator.updates()
        settings = bench_settings(
            emulator.url,
            generate_provider="bench-sleep",
            worker_concurrency=JOBS,
            generate_timeout_s=sleep_s + 60,
            job_deadline_s=sleep_s + 300,
            job_visibility_timeout_s=sleep_s + 300,
        )
        runtime = Runtime(settings, TelegramFrontend)
        provider = runtime.providers[JobKind.GENERATE]
        assert isinstance(provider, SleepingProvider)
        await runtime.start()
        try:
            idle_lag = [lag for _, lag in await lag_samples(2)]
            gc.collect()
            before = rss_bytes()
            sampling = asyncio.create_task(lag_samples(sleep_s + 60))
            feeding = asyncio.create_task(feed(runtime, updates))
            peak, during, ramp_s = 0, before, 0.0
            started = time.perf_counter()
            all_in_flight = float("inf")
            # Until the first provider call ends: every job started so far is waiting.
            while provider.finished == 0:
                if provider.in_flight > peak:
                    peak, during = provider.in_flight, rss_bytes()
                    ramp_s = time.perf_counter() - started
                    if peak == JOBS:
                        all_in_flight = time.perf_counter()
                await asyncio.sleep(0.05)
            sampling.cancel()
            ramp_lag = [lag for when, lag in LAG if when < all_in_flight]
            busy_lag = [lag for when, lag in LAG if when >= all_in_flight] or [float("nan")]
            await feeding
            await runtime.wait_idle(poll_s=0.1)
        finally:
            await runtime.stop()
        calls = emulator.stop()
    if calls.get("sendPhoto", 0) != JOBS:
        raise SystemExit(f"not every job was answered: {calls}")
    per_job_kb = (during - before) / peak / 1024
    print(f"{peak} of {JOBS} in flight at once after {ramp_s:.1f} s; provider {sleep_s:.0f} s")
    print(f"memory per job {per_job_kb:.1f} KB (RSS {before >> 20} -> {during >> 20} MiB)")
    print(
        f"lag p99 idle {percentile(idle_lag, 0.99):.2f} ms,"
        f" waiting {percentile(busy_lag, 0.99):.2f} ms over {len(busy_lag) * TICK_S:.0f}+ s,"
        f" ramp {percentile(ramp_lag, 0.99):.2f} ms"
    )
    emit(
        {
            "kb_per_job": per_job_kb,
            "lag_p99_ms": percentile(busy_lag, 0.99),
            "lag_max_ms": max(busy_lag),
            "idle_lag_p99_ms": percentile(idle_lag, 0.99),
            "ramp_lag_p99_ms": percentile(ramp_lag, 0.99),
            "waiting_samples": len(busy_lag),
            "ramp_s": ramp_s,
            "peak_in_flight": peak,
            "sleep_s": sleep_s,
            "calls": calls,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
