"""Bench 2, orchestration overhead: CPU seconds of this process per job, from the update
(a dict, as the webhook hands it over) to the sendPhoto request answered, against
python-telegram-bot turning the same kind of update into one sendMessage.

Both talk over HTTP to the Bot API emulator, which runs in its own process so that its
CPU is not counted. Fulmine: the real runtime and Telegram front end, memory state, the
``bench-instant`` provider (answers at once with a 64x64 PNG), moderation off (measured
separately), no rate limits, logging as ``fulmine serve`` does by default (INFO,
JSON lines; the bench runner sends them to a file). Each job makes the real calls of a
job: status message, chat action, sendPhoto, status deleted.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.support import (
    BOT_TOKEN,
    EmulatorProcess,
    bench_settings,
    emit,
    register_bench_providers,
)
from bot.frontend import TelegramFrontend
from orchestrator.logs import configure_logging
from orchestrator.runtime import Runtime

JOBS = int(os.environ.get("BENCH_OVERHEAD_JOBS", "400"))
WARMUP = 40
BATCH = 20  # updates in flight at once


async def _in_batches(updates: list[dict[str, Any]], handle: Any, settle: Any) -> float:
    started = time.process_time()
    for first in range(0, len(updates), BATCH):
        await asyncio.gather(*(handle(update) for update in updates[first : first + BATCH]))
        await settle()
    return time.process_time() - started


async def fulmine(url: str, updates: list[dict[str, Any]]) -> float:
    runtime = Runtime(bench_settings(url), TelegramFrontend)
    await runtime.start()
    try:

        async def settle() -> None:
            await runtime.wait_idle(poll_s=0.02)

        await _in_batches(updates[:WARMUP], runtime.accept_update, settle)
        return await _in_batches(updates[WARMUP:], runtime.accept_update, settle)
    finally:
        await runtime.stop()


async def python_telegram_bot(url: str, updates: list[dict[str, Any]]) -> float:
    async def generate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("ok")

    application = (
        Application.builder()
        .token(BOT_TOKEN)
        .base_url(f"{url}/bot")
        .updater(None)
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(CommandHandler("generate", generate))
    async with application:

        async def handle(data: dict[str, Any]) -> None:
            await application.process_update(Update.de_json(data, application.bot))

        async def settle() -> None:
            pass

        await _in_batches(updates[:WARMUP], handle, settle)
        return await _in_batches(updates[WARMUP:], handle, settle)


async def main() -> None:
    register_bench_providers()
    # As `fulmine serve` logs by default (INFO, JSON lines): part of the cost per job.
    configure_logging("INFO", json=True)
    total = WARMUP + JOBS
    with tempfile.TemporaryDirectory() as tmp:
        emulator = EmulatorProcess(Path(tmp), updates=2 * total, users=total)
        with emulator:
            updates = emulator.updates()
            baseline = await python_telegram_bot(emulator.url, updates[:total])
            ours = await fulmine(emulator.url, updates[total:])
            calls = emulator.stop()
    if calls.get("sendPhoto", 0) != total or calls.get("sendMessage", 0) < 2 * total:
        raise SystemExit(f"not every job was answered: {calls}")
    per_job_ms = ours / JOBS * 1000
    baseline_ms = baseline / JOBS * 1000
    print(f"python-telegram-bot, one sendMessage: {baseline_ms:.2f} ms CPU per update")
    print(f"fulmine, job to sendPhoto: {per_job_ms:.2f} ms CPU per job; calls {calls}")
    emit({"cpu_ms_per_job": per_job_ms, "baseline_cpu_ms": baseline_ms, "calls": calls})


if __name__ == "__main__":
    asyncio.run(main())
