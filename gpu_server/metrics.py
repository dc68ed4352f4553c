"""Prometheus metrics of one GPU server, in a registry of its own (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queue_depth = Gauge(
            "gpu_server_queue_depth", "Requests waiting for the GPU", registry=self.registry
        )
        self.running = Gauge(
            "gpu_server_running_images",
            "Images in the batch on the GPU now",
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "gpu_server_batch_size",
            "Images per pipeline call (one call per batch)",
            ["model"],
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
            registry=self.registry,
        )
        self.step_seconds = Histogram(
            "gpu_server_step_seconds",
            "Pipeline time per denoising step of a batch (text encoding and decode included)",
            ["model"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2.5, 5, 10),
            registry=self.registry,
        )
        self.requests = Counter(
            "gpu_server_requests_total",
            "Requests by endpoint and HTTP status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.lora_loads = Counter(
            "gpu_server_lora_loads_total",
            "LoRA adapters loaded from GPU_LORA_DIR",
            ["model"],
            registry=self.registry,
        )
        self.gpu_memory = Gauge(
            "gpu_server_gpu_memory_bytes",
            "GPU memory of this process after the last batch (allocated, reserved, peak)",
            ["kind"],
            registry=self.registry,
        )
