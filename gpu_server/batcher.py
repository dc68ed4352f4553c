"""Dynamic batching in front of the one GPU thread.

Requests with the same :class:`BatchKey` (model, size, steps, guidance, LoRA and scale)
that arrive within ``window_s`` of the oldest one run as one pipeline call of at most
``max_batch`` images (a single request asking for more runs alone). The key whose oldest
request waited longest goes first. Each image has its own seed, so a request's images do
not depend on what else shared its batch. At most ``queue_size`` requests wait; past that
:meth:`Batcher.submit` raises :class:`QueueFull` at once (the app answers 503).

Every pipeline call runs on one dedicated thread (the "GPU thread"): torch work never
blocks the event loop, and model loading, LoRA switches and batches never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import structlog
from numpy.typing import NDArray

from gpu_server.errors import ModelKind, QueueFull, ServerStopping
from gpu_server.metrics import ServerMetrics

log = structlog.get_logger(__name__)
T = TypeVar("T")
Pixels = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class BatchKey:
    model: ModelKind
    width: int
    height: int
    steps: int
    guidance: float
    lora: str | None
    lora_scale: float


@dataclass(slots=True)
class WorkItem:
    key: BatchKey
    prompt: str
    seed: int
    num_images: int
    image: Any = None  # edits: the input as a PIL image at the batch's size


@dataclass(frozen=True, slots=True)
class ItemResult:
    pixels: list[Pixels]  # one height x width x 3 array per image
    batch_images: int
    queue_s: float
    run_s: float


@dataclass(slots=True)
class _Queued:
    item: WorkItem
    future: asyncio.Future[ItemResult]
    enqueued_at: float

    @property
    def images(self) -> int:
        return self.item.num_images


RunBatch = Callable[[BatchKey, Sequence[WorkItem]], list[Pixels]]
"""Runs one batch on the GPU thread: one array per image, items in order, image i of an
item made from seed + i."""


class Batcher:
    def __init__(
        self,
        run_batch: RunBatch,
        metrics: ServerMetrics,
        *,
        max_batch: int,
        window_s: float,
        queue_size: int,
    ) -> None:
        self._run_batch = run_batch
        self._metrics = metrics
        self._max_batch = max(1, max_batch)
        self._window_s = max(0.0, window_s)
        self._queue_size = max(1, queue_size)
        self._pending: dict[BatchKey, list[_Queued]] = {}
        self._wakeup = asyncio.Event()
        self._gpu: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = 0
        self._batch_s = 1.0  # moving average of one batch's time, for Retry-After

    @property
    def depth(self) -> int:
        return sum(1 for items in self._pending.values() for i in items if not i.future.done())

    @property
    def running(self) -> int:
        return self._running

    def start_thread(self) -> None:
        """Start the GPU thread (models load on it before batches start); idempotent."""
        if self._gpu is None:
            self._gpu = ThreadPoolExecutor(1, thread_name_prefix="gpu")

    def start(self) -> None:
        """Start taking batches; idempotent."""
        self.start_thread()
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="gpu-batcher")

    async def stop(self) -> None:
        """Fail what waits, let the running batch finish, stop the thread; idempotent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for items in self._pending.values():
            for queued in items:
                if not queued.future.done():
                    queued.future.set_exception(ServerStopping())
        self._pending.clear()
        self._metrics.queue_depth.set(0)
        if self._gpu is not None:
            pool, self._gpu = self._gpu, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def on_gpu_thread(self, function: Callable[..., T], *args: object) -> T:
        """Run ``function`` on the GPU thread (between batches)."""
        if self._gpu is None:
            raise RuntimeError("Batcher used before start_thread()")
        return await asyncio.get_running_loop().run_in_executor(self._gpu, function, *args)

    def retry_after_s(self) -> int:
        """Seconds until the queue has likely moved on: an estimate for Retry-After."""
        batches = math.ceil((self.depth + 1) / self._max_batch)
        return max(1, min(60, math.ceil(batches * self._batch_s)))

    async def submit(self, item: WorkItem) -> ItemResult:
        if self._task is None:
            raise ServerStopping()
        if self.depth >= self._queue_size:
            raise QueueFull(self.retry_after_s())
        loop = asyncio.get_running_loop()
        queued = _Queued(item, loop.create_future(), loop.time())
        self._pending.setdefault(item.key, []).append(queued)
        self._metrics.queue_depth.set(self.depth)
        self._wakeup.set()
        return await queued.future  # cancelled with the request: the batch skips it

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._drop_cancelled()
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            key, items = min(self._pending.items(), key=lambda entry: entry[1][0].enqueued_at)
            deadline = items[0].enqueued_at + self._window_s
            while sum(q.images for q in items) < self._max_batch and loop.time() < deadline:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), deadline - loop.time())
            batch = self._take(key)
            if batch:
                await self._run(key, batch)

    def _drop_cancelled(self) -> None:
        for key in list(self._pending):
            live = [item for item in self._pending[key] if not item.future.done()]
            if live:
                self._pending[key] = live
            else:
                del self._pending[key]

    def _take(self, key: BatchKey) -> list[_Queued]:
        """The oldest requests of ``key`` that fit one batch (always at least one)."""
        waiting = [queued for queued in self._pending.pop(key, []) if not queued.future.done()]
        batch: list[_Queued] = []
        images = 0
        while waiting and (not batch or images + waiting[0].images <= self._max_batch):
            queued = waiting.pop(0)
            batch.append(queued)
            images += queued.images
        if waiting:
            self._pending[key] = waiting
        self._metrics.queue_depth.set(self.depth)
        return batch

    async def _run(self, key: BatchKey, batch: list[_Queued]) -> None:
        loop = asyncio.get_running_loop()
        images = sum(queued.images for queued in batch)
        started = loop.time()
        self._running = images
        self._metrics.running.set(images)
        try:
            pixels = await self.on_gpu_thread(self._run_batch, key, [q.item for q in batch])
        except asyncio.CancelledError:  # stopping: the batch finishes on its thread, unheard
            for queued in batch:
                if not queued.future.done():
                    queued.future.set_exception(ServerStopping())
            raise
        except Exception as exc:  # the whole batch failed (out of memory, a broken LoRA...)
            log.warning("gpu_batch_failed", model=key.model, images=images, error=repr(exc))
            for queued in batch:
                if not queued.future.done():
                    queued.future.set_exception(exc)
            return
        finally:
            self._running = 0
            self._metrics.running.set(0)
        run_s = loop.time() - started
        self._batch_s = 0.8 * self._batch_s + 0.2 * run_s
        self._metrics.batch_size.labels(model=key.model).observe(images)
        self._metrics.step_seconds.labels(model=key.model).observe(run_s / key.steps)
        offset = 0
        for queued in batch:
            result = ItemResult(
                pixels=pixels[offset : offset + queued.images],
                batch_images=images,
                queue_s=started - queued.enqueued_at,
                run_s=run_s,
            )
            offset += queued.images
            if not queued.future.done():
                queued.future.set_result(result)
