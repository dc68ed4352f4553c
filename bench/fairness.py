"""Fairness under a flood: first-in first-out against the fair queue, on one simulated clock.

    .venv/bin/python -m bench.fairness

A simulated provider takes ``SERVICE_S`` per job on each of ``WORKERS`` workers. A heavy
user floods ``FLOOD`` free jobs over the first ``FLOOD_OVER_S`` seconds (more than the
workers can take, so the queue is saturated for minutes); ``LIGHT_USERS`` light users
send one job each at random times while the flood runs, one of them paying (tier fast),
the others on the free allowance (relax). The same arrivals go through a FIFO line and
through ``state.scheduling.FairQueue`` (the memory queue's scheduler, with the default
policy: weights 10/5/1, a tenth reserved, relax promoted after 300 s).

The wait estimate is the one status messages show (``orchestrator.jobs.eta``): the
median of the latest measured service times, the jobs running and the queue position,
evaluated every ``SAMPLE_EVERY_S`` for every waiting job once something was measured,
against the wait that job then actually had left.

Prints a table and a ``RESULT {json}`` line for ``bench.run``.
"""

from __future__ import annotations

import heapq
import json
import random
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.jobs.eta import SAMPLES, wait_estimate
from state.models import Tier
from state.scheduling import FairQueue, TierPolicy

SERVICE_S = 10.0
WORKERS = 8
FLOOD = 200
FLOOD_OVER_S = 60.0
LIGHT_USERS = 20
LIGHT_FROM_S, LIGHT_UNTIL_S = 10.0, 200.0
SAMPLE_EVERY_S = 5.0
SEED = 18
HEAVY = "heavy"
PAYER = "light-0"


@dataclass
class SimJob:
    key: str
    user: str
    tier: Tier
    arrived: float
    started: float | None = None


class Line(Protocol):
    def push(self, job: SimJob) -> None: ...

    def pop(self) -> SimJob | None: ...

    def position(self, key: str) -> int | None: ...


class FifoLine:
    def __init__(self) -> None:
        self._jobs: deque[SimJob] = deque()

    def push(self, job: SimJob) -> None:
        self._jobs.append(job)

    def pop(self) -> SimJob | None:
        return self._jobs.popleft() if self._jobs else None

    def position(self, key: str) -> int | None:
        return next((i for i, job in enumerate(self._jobs) if job.key == key), None)


class FairLine:
    def __init__(self, clock: list[float]) -> None:
        self._queue: FairQueue[SimJob] = FairQueue(TierPolicy(), lambda: clock[0])

    def push(self, job: SimJob) -> None:
        self._queue.push(job.key, job.tier, job.user, job)

    def pop(self) -> SimJob | None:
        return self._queue.pop()

    def position(self, key: str) -> int | None:
        return self._queue.position(key)


def arrivals() -> list[SimJob]:
    rng = random.Random(SEED)
    jobs = [
        SimJob(f"{HEAVY}-{i}", HEAVY, Tier.RELAX, rng.uniform(0, FLOOD_OVER_S))
        for i in range(FLOOD)
    ]
    for i in range(LIGHT_USERS):
        user = f"light-{i}"
        tier = Tier.FAST if user == PAYER else Tier.RELAX
        jobs.append(SimJob(f"{user}-0", user, tier, rng.uniform(LIGHT_FROM_S, LIGHT_UNTIL_S)))
    return sorted(jobs, key=lambda job: job.arrived)


def simulate(kind: str) -> dict[str, Any]:
    clock = [0.0]
    line: Line = FifoLine() if kind == "fifo" else FairLine(clock)
    jobs = arrivals()
    # Events: (time, order, what, job); completions before arrivals at the same instant.
    events: list[tuple[float, int, str, SimJob | None]] = []
    for order, job in enumerate(jobs):
        heapq.heappush(events, (job.arrived, 1_000_000 + order, "arrive", None))
    by_order = {1_000_000 + order: job for order, job in enumerate(jobs)}
    heapq.heappush(events, (SAMPLE_EVERY_S, 0, "sample", None))
    free, measured, waiting = WORKERS, [], {}
    predictions: list[tuple[str, float, float]] = []  # key, when, predicted wait left
    counter, done, last_end = 0, 0, 0.0
    while events:
        now, order, what, job = heapq.heappop(events)
        clock[0] = now
        if what == "arrive":
            arrived = by_order[order]
            line.push(arrived)
            waiting[arrived.key] = arrived
        elif what == "finish":
            free += 1
            done += 1
            measured.append(SERVICE_S)
            last_end = max(last_end, now)
        elif what == "sample":
            running = WORKERS - free
            if measured and running and waiting:
                service = statistics.median(measured[-SAMPLES:])
                for key in waiting:
                    ahead = line.position(key)
                    assert ahead is not None
                    predictions.append((key, now, wait_estimate(ahead, service, running)))
            if done < len(jobs):
                heapq.heappush(events, (now + SAMPLE_EVERY_S, 0, "sample", None))
        while free and (taken := line.pop()) is not None:
            taken.started = now
            del waiting[taken.key]
            free -= 1
            counter += 1
            heapq.heappush(events, (now + SERVICE_S, counter, "finish", taken))
    return summarise(jobs, predictions, last_end)


def summarise(
    jobs: list[SimJob], predictions: list[tuple[str, float, float]], last_end: float
) -> dict[str, Any]:
    def wait(job: SimJob) -> float:
        assert job.started is not None
        return job.started - job.arrived

    by_key = {job.key: job for job in jobs}
    light = sorted(wait(job) for job in jobs if job.user.startswith("light") and job.user != PAYER)
    free = [wait(job) for job in jobs if job.tier is Tier.RELAX]
    errors = []
    for key, when, predicted in predictions:
        started = by_key[key].started
        assert started is not None
        actual = started - when
        if actual > 0:
            errors.append(abs(predicted - actual) / actual)
    policy = TierPolicy()
    over_bound = [job.key for job in jobs if wait(job) > policy.max_wait_s[job.tier] + SERVICE_S]
    return {
        "light_p50_s": statistics.median(light),
        "light_p95_s": light[max(0, round(0.95 * len(light)) - 1)],
        "paid_s": wait(by_key[f"{PAYER}-0"]),
        "free_mean_s": statistics.fmean(free),
        "longest_s": max(wait(job) for job in jobs),
        "over_bound": len(over_bound),
        "throughput_jobs_s": len(jobs) / (last_end - min(job.arrived for job in jobs)),
        "eta_error_p50": statistics.median(errors) if errors else None,
        "eta_samples": len(errors),
    }


def table(result: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool | None]]:
    """``make bench`` rows: (bench, fair queue, FIFO, ratio, target, met; None: reported)."""
    fair, fifo, service = result["fair"], result["fifo"], result["service_s"]
    bound = result["relax_bound_s"] + service
    paid_ratio = fair["paid_s"] / fair["free_mean_s"]
    fifo_paid = fifo["paid_s"] / fifo["free_mean_s"]
    throughput = fair["throughput_jobs_s"] / fifo["throughput_jobs_s"]
    eta = fair["eta_error_p50"]
    return [
        (
            f"6 fairness: light users' wait p50 / p95 (flood of {FLOOD}, {WORKERS} workers)",
            f"{fair['light_p50_s']:.1f} s / {fair['light_p95_s']:.1f} s",
            f"FIFO {fifo['light_p50_s']:.1f} s / {fifo['light_p95_s']:.1f} s",
            f"{fair['light_p95_s'] / fifo['light_p95_s']:.3f} (p95)",
            f"p95 ≤ 2 service times ({2 * service:.0f} s)",
            fair["light_p95_s"] <= 2 * service,
        ),
        (
            "6b … a paid job's wait / free jobs' mean wait (saturated)",
            f"{fair['paid_s']:.1f} s / {fair['free_mean_s']:.1f} s = {paid_ratio:.3f}",
            f"FIFO {fifo['paid_s']:.1f} s / {fifo['free_mean_s']:.1f} s = {fifo_paid:.2f}",
            f"{paid_ratio:.3f}",
            "≤ 0.3",
            paid_ratio <= 0.3,
        ),
        (
            "6c … longest wait of any job; jobs past their tier's bound + 1 service",
            f"{fair['longest_s']:.0f} s; {fair['over_bound']} past",
            f"FIFO {fifo['longest_s']:.0f} s; {fifo['over_bound']} past",
            "-",
            f"none past (relax: {bound:.0f} s)",
            fair["over_bound"] == 0,
        ),
        (
            "6d … throughput",
            f"{fair['throughput_jobs_s']:.3f} jobs/s",
            f"FIFO {fifo['throughput_jobs_s']:.3f} jobs/s",
            f"{throughput:.3f}",
            "≥ 0.95",
            throughput >= 0.95,
        ),
        (
            "6e … wait estimate error, p50 of abs(predicted - actual) / actual",
            f"{eta:.0%} ({fair['eta_samples']} estimates)",
            f"FIFO {fifo['eta_error_p50']:.0%}",
            "-",
            "≤ 25 %",
            eta is not None and eta <= 0.25,
        ),
    ]


def main() -> None:
    result = {
        "service_s": SERVICE_S,
        "workers": WORKERS,
        "relax_bound_s": TierPolicy().max_wait_s[Tier.RELAX],
        "fifo": simulate("fifo"),
        "fair": simulate("fair"),
    }
    for name in ("fifo", "fair"):
        found = result[name]
        print(
            f"{name}: light p50 {found['light_p50_s']:.1f} s p95 {found['light_p95_s']:.1f} s; "
            f"paid {found['paid_s']:.1f} s; free mean {found['free_mean_s']:.1f} s; "
            f"longest {found['longest_s']:.1f} s ({found['over_bound']} past bound); "
            f"{found['throughput_jobs_s']:.3f} jobs/s; ETA error p50 "
            f"{found['eta_error_p50']:.0%} over {found['eta_samples']} samples"
        )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
