"""Shared parts of ``make bench``: bench providers, the Bot API emulator in its own
process (so its CPU is not counted as the orchestrator's), and small helpers.

The bench providers plug in through ``orchestrator.jobs.providers.BUILDERS`` and
``providers.registry.PROVIDERS`` (where the real ones are registered), under names that
settings can name:
``bench-instant`` answers at once with a small PNG; ``bench-sleep`` sleeps
``BENCH_PROVIDER_SLEEP_S`` (default 30) seconds first.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from orchestrator.catalog import models as catalog_models
from orchestrator.jobs.providers import BUILDERS
from orchestrator.settings import Settings
from providers.base import ImageProvider, ImageRequest, ProviderImage
from providers.registry import PROVIDERS

ROOT = Path(__file__).resolve().parents[1]
BOT_TOKEN = "123456789:BENCH-token_abcdefghijklmnopqrstuvwxyz0123"
WEBHOOK_SECRET = "bench-webhook-secret_0123456789"
BOT_USERNAME = "fulmine_bench_bot"


def _small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "orange").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _small_png()


class InstantProvider(ImageProvider):
    """Answers at once: the cost measured is ours, not a provider's."""

    name = "bench-instant"

    async def ready(self) -> bool:
        return True

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        return [ProviderImage(PNG, "image/png")]

    async def edit(self, request: ImageRequest) -> list[ProviderImage]:
        return [ProviderImage(PNG, "image/png")]


class SleepingProvider(InstantProvider):
    """Takes ``sleep_s`` per call, like a hosted model; counts the calls in flight."""

    name = "bench-sleep"

    def __init__(self, sleep_s: float) -> None:
        self.sleep_s = sleep_s
        self.in_flight = 0
        self.peak = 0
        self.finished = 0

    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.sleep_s)
        finally:
            self.in_flight -= 1
            self.finished += 1
        return await super().generate(request)


def register_bench_providers() -> None:
    sleep_s = float(os.environ.get("BENCH_PROVIDER_SLEEP_S", "30"))
    # The model catalog checks provider names against its own list: add the bench ones.
    catalog_models.PROVIDER_NAMES = (*catalog_models.PROVIDER_NAMES, "bench-instant", "bench-sleep")
    PROVIDERS.update({"bench-instant": InstantProvider, "bench-sleep": SleepingProvider})
    BUILDERS["bench-instant"] = lambda settings, entry, named_by: InstantProvider()
    BUILDERS["bench-sleep"] = lambda settings, entry, named_by: SleepingProvider(sleep_s)


@functools.cache
def bench_images() -> Path:
    """The gallery's folder for this process's benches, removed when it ends: the default
    (``fulmine-images`` in the working folder) would keep every bench image, and the
    gallery's retention sweep at each start would walk them all inside the measurements."""
    path = Path(tempfile.mkdtemp(prefix="fulmine-bench-images-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


# The benches' emulators enforce none of Telegram's sending limits, and a bench of how much
# a process does would otherwise measure the pacing (30 messages a second in all): sends
# are not paced, except in the pacing bench (bench 7), which restores the defaults.
NOT_PACED = {
    "telegram_messages_per_s": 0,
    "telegram_chat_messages_per_s": 0,
    "telegram_group_messages_per_min": 0,
}


def bench_settings(emulator_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "image_store_path": bench_images(),
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "telegram_api_base_url": f"{emulator_url}/bot",
        "telegram_file_base_url": f"{emulator_url}/file/bot",
        "generate_provider": "bench-instant",
        "rate_limit_per_minute": 0,
        "rate_limit_chat_per_minute": 0,
        "max_concurrent_jobs": 100_000,
        "moderation_private": "off",
        "moderation_groups": "off",
        "log_level": "WARNING",
        **NOT_PACED,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def bench_env(emulator_url: str, **values: str) -> dict[str, str]:
    """The same settings as ``bench_settings``, as a child process's environment."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return {
        **keep,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": f"{emulator_url}/bot",
        "TELEGRAM_FILE_BASE_URL": f"{emulator_url}/file/bot",
        "GENERATE_PROVIDER": "bench-instant",
        "RATE_LIMIT_PER_MINUTE": "0",
        "RATE_LIMIT_CHAT_PER_MINUTE": "0",
        "MAX_CONCURRENT_JOBS": "100000",
        "MODERATION_PRIVATE": "off",
        "MODERATION_GROUPS": "off",
        "LOG_LEVEL": "WARNING",
        **{name.upper(): str(value) for name, value in NOT_PACED.items()},
        "IMAGE_STORE_PATH": str(bench_images()),
        **values,
    }


class EmulatorProcess:
    """``python -m bench.emulator_process``: the emulator with ``users`` private chats and
    ``updates`` prepared ``/generate`` updates (written to a file), in a child process."""

    def __init__(self, workdir: Path, updates: int, users: int, text: str = "/generate a cat"):
        self.updates_path = workdir / "updates.json"
        self.args = [str(updates), str(users), text, str(self.updates_path)]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.emulator_process", *self.args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the emulator process did not start")
        return self

    def updates(self) -> list[dict[str, Any]]:
        loaded: list[dict[str, Any]] = json.loads(self.updates_path.read_text())
        return loaded

    def calls(self) -> dict[str, int]:
        """The Bot API calls counted so far (up to 0.1 s late)."""
        path = self.updates_path.with_suffix(".calls.json")
        try:
            counted: dict[str, int] = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return counted

    def stop(self) -> dict[str, int]:
        """Stops the emulator; how many times each Bot API method was called."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        return self.calls()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cpu_seconds() -> float:
    return time.process_time()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def emit(result: dict[str, Any]) -> None:
    """The last line a bench module prints: its figures, for ``bench.run``."""
    print("RESULT " + json.dumps(result), flush=True)
