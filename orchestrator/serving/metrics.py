"""Prometheus metrics of this process (each process exposes its own on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter(
    "fulmine_updates_received_total",
    "Webhook requests, by what became of them",
    ["outcome"],  # accepted, duplicate, forbidden, malformed, shutting_down
)
JOBS = Counter("fulmine_jobs_total", "Jobs finished, by kind and outcome", ["kind", "outcome"])
PROVIDER_LATENCY = Histogram(
    "fulmine_provider_latency_seconds",
    "Time a provider took to make the images",
    ["provider", "kind", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 300),
)
MODERATION_BLOCKS = Counter(
    "fulmine_moderation_blocks_total", "Requests or images blocked", ["category"]
)
MODERATION_HOSTED = Counter(
    "fulmine_moderation_hosted_total",
    "Calls to the hosted moderation classifier, by outcome",
    ["outcome"],  # ok, flagged, timeout, unavailable, unreadable
)
MODERATION_HOSTED_CACHED = Counter(
    "fulmine_moderation_hosted_cached_total",
    "Hosted classifier verdicts answered from the cache, without a call",
)
MODERATION_HOSTED_LATENCY = Histogram(
    "fulmine_moderation_hosted_seconds",
    "Time a call to the hosted moderation classifier took, failed ones included",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
PAYMENTS = Counter("fulmine_payments_total", "Payment events", ["backend", "event"])
RATE_LIMITED = Counter("fulmine_rate_limited_total", "Requests refused by a rate limit", ["scope"])
LANE_DROPPED = Counter(
    "fulmine_requests_dropped_total", "Requests dropped: too many waiting from one chat"
)
QUEUE_DEPTH = Gauge("fulmine_queue_depth", "Jobs queued or running, not yet acknowledged")
JOBS_IN_FLIGHT = Gauge("fulmine_jobs_in_flight", "Jobs this process is running now")
