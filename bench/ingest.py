"""Bench 1, webhook ingest: wrk against the real webhook and against a bare endpoint.

The server runs in its own process pinned to CPU 0, wrk (one thread) on CPU 1 when the
machine has two or more; each server gets a warm-up run first, then a measured run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.support import ROOT, WEBHOOK_SECRET, emit
from tests.redis_server import free_port

LUA = Path(__file__).with_name("webhook.lua")
DURATION_S = int(os.environ.get("BENCH_INGEST_SECONDS", "5"))
CONNECTIONS = 32


def _pinned(cpu: int) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)]
    return []


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _latency_ms(value: str) -> float:
    """wrk's latency as it prints it: 812.00us, 4.31ms, 1.02s, 1.05m."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if found is None:
        raise RuntimeError(f"wrk printed a latency this bench cannot read: {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(port: int, seconds: int) -> tuple[float, float, int]:
    """Requests/s, p99 latency (ms), non-2xx answers."""
    out = subprocess.run(
        [
            *_pinned(1),
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}/telegram/webhook",
        ],
        env={**os.environ, "BENCH_SECRET": WEBHOOK_SECRET},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The distribution's own line: a stdev column such as "76.99%" also ends in "99%".
    p99 = _latency_ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p99, int(bad.group(1)) if bad else 0


KINDS = ("bare", "fulmine")
ROUNDS = int(os.environ.get("BENCH_INGEST_ROUNDS", "3"))


def measure() -> dict[str, tuple[float, float, int]]:
    """Every server started once; then rounds of one wrk run against each, in turn (the
    machine is shared: interleaving spreads other load over both); per server the
    round with the median rate."""
    ports = {kind: free_port() for kind in KINDS}
    servers = [
        subprocess.Popen(
            [*_pinned(0), sys.executable, "-m", "bench.ingest_app", kind, str(port)],
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        for kind, port in ports.items()
    ]
    runs: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in KINDS}
    try:
        for port in ports.values():
            _wait_listening(port)
            _wrk(port, 2)  # warm-up
        for _ in range(ROUNDS):
            for kind, port in ports.items():
                runs[kind].append(_wrk(port, DURATION_S))
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
    return {kind: sorted(found)[len(found) // 2] for kind, found in runs.items()}


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk (make bench installs it)")
    found = measure()
    for kind, (rate, p99, bad) in found.items():
        print(f"{kind}: {rate:.0f} req/s, p99 {p99:.2f} ms, non-2xx {bad}")
    emit({kind: {"rps": r, "p99_ms": p, "non_2xx": b} for kind, (r, p, b) in found.items()})


if __name__ == "__main__":
    main()
