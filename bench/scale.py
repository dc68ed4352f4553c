"""Bench 4, scale-out on Redis: jobs/s with 1 ``fulmine serve`` + 1 ``fulmine worker``
against 2 + 2, on the same redis-server, with the ``bench-instant`` provider.

Real processes (``python -m bench.launch``: ``fulmine`` with the bench providers), the
Bot API emulator in its own process, updates posted over HTTP round-robin to the serve
processes (``CONCURRENCY`` at once, at most ``WINDOW`` jobs unanswered). After a
warm-up, the rate is jobs answered with sendPhoto divided by the time from the first post
to the last sendPhoto.

On a small machine the rate says more about the cores than about Fulmine, so each run
also reports where the CPU went over the measured stretch: how busy the whole machine
was, and the CPU seconds per job of the Fulmine processes (serve + worker), of
redis-server and of the emulator. If the Fulmine processes need no more CPU per job with
two pairs than with one, nothing is shared but Redis, and the rate grows with the cores
given to it until redis-server's own CPU per job is the limit.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx

from bench.support import ROOT, WEBHOOK_SECRET, EmulatorProcess, bench_env, emit
from tests.redis_server import RedisServer, free_port

JOBS = int(os.environ.get("BENCH_SCALE_JOBS", "400"))
WARMUP = 40
CONCURRENCY = 16
# Jobs posted and not yet answered. Unbounded, the serve process starts a handler per
# update at once and Redis runs out of connections (redis-py's pool: 100), so updates
# get 503 (see bench/RESULTS.md).
WINDOW = 64


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.port = free_port() if args[0] == "serve" else None
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = dict(self.env)
        if self.port is not None:
            env.update(HOST="127.0.0.1", PORT=str(self.port))
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.launch", *self.args, env=env, cwd=ROOT,
                stdout=out, stderr=out,
            )  # fmt: skip

    async def ready(self) -> None:
        event = b"orchestrator_started" if self.port else b"worker_started"
        async with asyncio.timeout(60):
            while event not in self.log.read_bytes():
                assert self.process is not None, self.log
                assert self.process.returncode is None, self.log
                await asyncio.sleep(0.1)
            if self.port is not None:
                async with httpx.AsyncClient(timeout=1) as http:
                    while True:
                        try:
                            await http.get(f"http://127.0.0.1:{self.port}/health")
                            return
                        except httpx.TransportError:
                            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 60)


async def _post_all(
    urls: list[str], updates: list[dict[str, Any]], emulator: EmulatorProcess
) -> None:
    """Posts every update, keeping at most ``WINDOW`` jobs posted and not yet answered."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    targets = cycle(urls)
    queue = [(next(targets), update) for update in updates]
    already = emulator.calls().get("sendPhoto", 0)
    posted = 0
    async with httpx.AsyncClient(timeout=30) as http:

        async def post_some() -> None:
            nonlocal posted
            while queue:
                if posted - (emulator.calls().get("sendPhoto", 0) - already) >= WINDOW:
                    await asyncio.sleep(0.01)
                    continue
                posted += 1
                url, update = queue.pop()
                response = await http.post(f"{url}/telegram/webhook", json=update, headers=headers)
                response.raise_for_status()

        await asyncio.gather(*(post_some() for _ in range(CONCURRENCY)))


async def _delivered(emulator: EmulatorProcess, count: int, timeout_s: float = 120) -> float:
    async with asyncio.timeout(timeout_s):
        while emulator.calls().get("sendPhoto", 0) < count:  # noqa: ASYNC110 - other process
            await asyncio.sleep(0.02)
    return time.perf_counter()


def cpu_snapshot(fulmine: list[int], redis_pid: int, emulator_pid: int) -> dict[str, float]:
    busy, total = machine_jiffies()
    return {
        "fulmine": sum(process_cpu_s(pid) for pid in fulmine),
        "redis": process_cpu_s(redis_pid),
        "emulator": process_cpu_s(emulator_pid),
        "machine_busy": busy,
        "machine_total": total,
    }


async def run(pairs: int, redis: RedisServer, workdir: Path) -> dict[str, float]:
    redis_url = redis.url
    with EmulatorProcess(workdir, updates=WARMUP + JOBS, users=WARMUP + JOBS) as emulator:
        updates = emulator.updates()
        env = bench_env(
            emulator.url,
            REDIS_URL=redis_url,
            REDIS_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:8]}:",
            LOG_LEVEL="INFO",
        )
        processes = [
            Process([kind], env, workdir / f"{kind}-{n}.log")
            for n in range(pairs)
            for kind in ("serve", "worker")
        ]
        try:
            for process in processes:
                await process.start()
            for process in processes:
                await process.ready()
            urls = [f"http://127.0.0.1:{p.port}" for p in processes if p.port is not None]
            await _post_all(urls, updates[:WARMUP], emulator)
            await _delivered(emulator, WARMUP)
            pids = [p.process.pid for p in processes if p.process is not None]
            assert redis.pid is not None
            assert emulator.process is not None
            before = cpu_snapshot(pids, redis.pid, emulator.process.pid)
            started = time.perf_counter()
            await _post_all(urls, updates[WARMUP:], emulator)
            finished = await _delivered(emulator, WARMUP + JOBS)
            after = cpu_snapshot(pids, redis.pid, emulator.process.pid)
        finally:
            for process in processes:
                await process.stop()
    used = {key: after[key] - before[key] for key in after}
    return {
        "jobs_s": JOBS / (finished - started),
        "machine_busy": used["machine_busy"] / used["machine_total"],
        "fulmine_cpu_ms_per_job": used["fulmine"] / JOBS * 1000,
        "redis_cpu_ms_per_job": used["redis"] / JOBS * 1000,
        "emulator_cpu_ms_per_job": used["emulator"] / JOBS * 1000,
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis")
        redis.start()
        try:
            runs = {}
            for pairs in (1, 2):
                workdir = ROOT / "bench" / "logs" / f"scale-{pairs}+{pairs}"
                shutil.rmtree(workdir, ignore_errors=True)
                workdir.mkdir(parents=True)
                found = runs[pairs] = await run(pairs, redis, workdir)
                print(
                    f"{pairs} serve + {pairs} worker: {found['jobs_s']:.1f} jobs/s; machine "
                    f"{found['machine_busy']:.0%} busy; CPU ms per job: Fulmine "
                    f"{found['fulmine_cpu_ms_per_job']:.1f}, redis-server "
                    f"{found['redis_cpu_ms_per_job']:.2f}, emulator "
                    f"{found['emulator_cpu_ms_per_job']:.1f}"
                )
        finally:
            redis.stop()
    emit(
        {
            "one_pair_jobs_s": runs[1]["jobs_s"],
            "two_pairs_jobs_s": runs[2]["jobs_s"],
            "one_pair": runs[1],
            "two_pairs": runs[2],
            "cpus": os.cpu_count(),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
