"""Throughput of the GPU server: images per second and latency for a stream of requests,
with batching on and off, with the transformer eager and compiled. Not a test.

A stream is ``--requests`` generate requests sent by ``--concurrency`` clients, each
sending its next request when the previous one is answered, through the real HTTP server
(``gpu_server``, served in this process) and its batcher. Each configuration
first runs an unmeasured warm-up stream (compilation, autotuning, every batch shape).

    # CPU, tiny random model (minutes): checks the whole path end to end
    python bench/gpu_throughput.py --tiny
    # GPU: the full-size FLUX.1 architecture with random weights (no download), 1024x1024
    python bench/gpu_throughput.py
    # GPU: a real model folder or hub name
    python bench/gpu_throughput.py --model /models/FLUX.1-schnell

Prints one Markdown table and the ratios batched/unbatched and compiled/eager.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
import torch

from gpu_server.app import create_app
from gpu_server.pipelines import choose_device, dtype_for
from gpu_server.random_weights import build_pipeline
from gpu_server.service import Preloaded
from gpu_server.settings import GpuServerSettings
from orchestrator.serving.server import serve_in_background

TOKEN = "benchmark-token-0123456789"


@dataclass(frozen=True)
class Result:
    mode: str
    batching: str
    images_per_s: float
    p50_s: float
    p95_s: float
    mean_batch: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def stream(
    url: str, args: argparse.Namespace, count: int
) -> tuple[float, list[dict[str, Any]]]:
    """Send ``count`` requests from ``args.concurrency`` closed-loop clients; (seconds, answers)."""
    body = {"prompt": "a lighthouse at dusk, photo", "width": args.size, "height": args.size}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for seed in range(count):
        queue.put_nowait(seed)
    answers: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            seed = queue.get_nowait()
            started = time.perf_counter()
            response = await http.post("/v1/generate", json={**body, "seed": seed}, headers=headers)
            response.raise_for_status()
            answer = response.json()
            answer["latency_s"] = time.perf_counter() - started
            answers.append(answer)

    async with httpx.AsyncClient(base_url=url, timeout=3600) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(args.concurrency)))
        return time.perf_counter() - started, answers


async def measure(pipeline: Any, args: argparse.Namespace, compiled: bool, batched: bool) -> Result:
    config = GpuServerSettings(
        _env_file=None,
        server_token=TOKEN,
        generate_model=None,
        edit_model=None,
        max_batch=args.max_batch if batched else 1,
        batch_window_ms=args.window_ms,
        queue_size=max(64, args.concurrency * 2),
        image_area=args.size * args.size,
        max_side=max(2048, args.size),
        generate_steps=args.steps,
        max_sequence_length=args.max_sequence_length,
        warmup=True,
    )
    preloaded = Preloaded(pipeline, None, compile_mode="on" if compiled else "off")
    async with serve_in_background(create_app(config, preloaded)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            while (await http.get("/ready")).status_code != 200:
                if (await http.get("/health")).status_code == 500:
                    sys.exit(f"the server failed: {(await http.get('/health')).json()['error']}")
                await asyncio.sleep(0.2)
        await stream(url, args, args.warmup_requests)
        seconds, answers = await stream(url, args, args.requests)
    latencies = [answer["latency_s"] for answer in answers]
    return Result(
        mode="compiled" if compiled else "eager",
        batching=f"on (max {args.max_batch})" if batched else "off",
        images_per_s=len(answers) / seconds,
        p50_s=percentile(latencies, 0.5),
        p95_s=percentile(latencies, 0.95),
        mean_batch=statistics.fmean(answer["batch_images"] for answer in answers),
    )


def load_pipeline(args: argparse.Namespace, device: torch.device) -> tuple[Any, str]:
    dtype = dtype_for(device)
    if args.model:
        from diffusers import FluxPipeline

        return FluxPipeline.from_pretrained(args.model, dtype=dtype), args.model
    size = "tiny" if args.tiny else "full"
    pipeline = build_pipeline("generate", size, device=device, dtype=dtype)
    return pipeline, f"FLUX.1 architecture, {size}, random weights"


def report(results: list[Result], args: argparse.Namespace, device: str, model: str) -> None:
    print(
        f"device: {device}; model: {model}; {args.size}x{args.size}, {args.steps} steps; "
        f"{args.requests} requests, {args.concurrency} concurrent; "
        f"batch window {args.window_ms:g} ms; torch {torch.__version__}\n"
    )
    print("| transformer | batching | images/s | p50 latency (s) | p95 latency (s) | mean batch |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r.mode} | {r.batching} | {r.images_per_s:.3f} | {r.p50_s:.3f} | "
            f"{r.p95_s:.3f} | {r.mean_batch:.2f} |"
        )
    by = {(r.mode, r.batching.split()[0]): r.images_per_s for r in results}
    ratios = []
    for mode in ("eager", "compiled"):
        if (mode, "on") in by and (mode, "off") in by:
            ratios.append(f"batched/unbatched ({mode}): {by[mode, 'on'] / by[mode, 'off']:.2f}x")
    for batching in ("off", "on"):
        if ("compiled", batching) in by and ("eager", batching) in by:
            ratio = by["compiled", batching] / by["eager", batching]
            ratios.append(f"compiled/eager (batching {batching}): {ratio:.2f}x")
    print("\n" + "; ".join(ratios))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model (CPU)")
    parser.add_argument("--model", help="a FLUX model folder or hub name instead of random")
    parser.add_argument("--size", type=int, help="width and height (default 1024; tiny 64)")
    parser.add_argument("--steps", type=int, default=4, help="denoising steps (schnell: 4)")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--warmup-requests", type=int, help="default: --concurrency")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-batch", type=int, default=4)
    parser.add_argument("--window-ms", type=float, default=25.0)
    parser.add_argument("--max-sequence-length", type=int, default=256)
    parser.add_argument(
        "--modes", default="eager,compiled", help="comma-separated: eager, compiled"
    )
    args = parser.parse_args()
    args.size = args.size or (64 if args.tiny else 1024)
    args.warmup_requests = args.warmup_requests or args.concurrency
    return args


async def main() -> None:
    args = parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    device = choose_device(None)
    if device.type != "cuda" and not args.tiny and not args.model:
        sys.exit("no CUDA device: the full-size model needs a GPU (use --tiny on the CPU)")
    built = time.perf_counter()
    pipeline, model = load_pipeline(args, device)
    print(f"model ready in {time.perf_counter() - built:.1f} s", file=sys.stderr)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    results = []
    # Eager first: compiling cannot be undone on the same pipeline.
    requested = {mode.strip() for mode in args.modes.split(",")}
    for mode in [mode for mode in ("eager", "compiled") if mode in requested]:
        for batched in (False, True):
            started = time.perf_counter()
            results.append(await measure(pipeline, args, mode == "compiled", batched))
            print(
                f"{mode} batched={batched}: {time.perf_counter() - started:.1f} s", file=sys.stderr
            )
    report(results, args, name, model)


if __name__ == "__main__":
    asyncio.run(main())
