"""Bench 2, orchestration overhead: CPU seconds of this process per job, from the update
(a dict, as the webhook hands it over) to the sendPhoto request answered, against
python-telegram-bot turning the same kind of update into one sendMessage.

Both talk over HTTP to the Bot API emulator, which runs in its own process so that its
CPU is not counted. Fulmine: the real runtime and Telegram front end, memory state, the
``bench-instant`` provider (answers at once with a 64x64 PNG), moderation off (measured
separately), no rate limits, logging as ``fulmine serve`` does by default (INFO,
JSON lines; the bench runner sends them to a file). Each job makes the real calls of a
job: status message, sendPhoto (the chat action only comes after a second), status
deleted.

A third figure splits Fulmine's cost: python-telegram-bot making just the Bot API calls
of a job (the same client configuration, requests and concurrency, nothing else) gives
what those calls cost on their own; the rest is orchestration.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from telegram import ReplyParameters, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.support import (
    BOT_TOKEN,
    PNG,
    EmulatorProcess,
    bench_settings,
    emit,
    register_bench_providers,
)
from bot.frontend import TelegramFrontend, build_application
from bot.results.buttons import result_keyboard
from orchestrator.runtime import Runtime
from orchestrator.serving.logs import configure_logging
from state.models import Job, JobKind

JOBS = int(os.environ.get("BENCH_OVERHEAD_JOBS", "400"))
ROUNDS = 3
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

        telegram = runtime.frontend("telegram")
        assert isinstance(telegram, TelegramFrontend)
        await _in_batches(updates[:WARMUP], telegram.accept_update, settle)
        return await _in_batches(updates[WARMUP:], telegram.accept_update, settle)
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


async def bot_api_calls_only(url: str, updates: list[dict[str, Any]]) -> float:
    """A job's Bot API calls and nothing else: status message, sendPhoto, delete."""
    application = build_application(bench_settings(url))
    bot = application.bot

    async def calls(data: dict[str, Any]) -> None:
        message = data["message"]
        chat_id, request_id = message["chat"]["id"], message["message_id"]
        job = Job(
            kind=JobKind.GENERATE,
            prompt=message["text"].partition(" ")[2],
            chat_id=chat_id,
            user_id=message["from"]["id"],
            request_message_id=request_id,
            chat_type="private",
        )
        reply = ReplyParameters(request_id, allow_sending_without_reply=True)
        status = await bot.send_message(chat_id, "Generating…", reply_parameters=reply)
        await bot.send_photo(
            chat_id,
            PNG,
            caption=job.prompt,
            reply_parameters=reply,
            reply_markup=result_keyboard(job),
        )
        await bot.delete_message(chat_id, status.message_id)

    async def settle() -> None:
        pass

    async with application:
        await _in_batches(updates[:WARMUP], calls, settle)
        return await _in_batches(updates[WARMUP:], calls, settle)


async def _counted(emulator: EmulatorProcess) -> Counter[str]:
    await asyncio.sleep(0.3)  # the emulator writes its count every 0.1 s
    return Counter(emulator.calls())


async def main() -> None:
    register_bench_providers()
    # As `fulmine serve` logs by default (INFO, JSON lines): part of the cost per job.
    configure_logging("INFO", json=True)
    total = WARMUP + JOBS
    runs: dict[str, list[float]] = {"baseline": [], "fulmine": [], "calls_only": []}
    with tempfile.TemporaryDirectory() as tmp:
        emulator = EmulatorProcess(Path(tmp), updates=3 * ROUNDS * total, users=total)
        with emulator:
            updates = iter(emulator.updates())
            # Interleaved rounds, the median of each: the machine is shared.
            for _ in range(ROUNDS):
                batch = [next(updates) for _ in range(total)]
                runs["baseline"].append(await python_telegram_bot(emulator.url, batch))
                before = await _counted(emulator)
                batch = [next(updates) for _ in range(total)]
                runs["fulmine"].append(await fulmine(emulator.url, batch))
                calls = await _counted(emulator) - before
                if calls["sendPhoto"] != total or calls["sendMessage"] < total:
                    raise SystemExit(f"not every job was answered: {calls}")
                batch = [next(updates) for _ in range(total)]
                runs["calls_only"].append(await bot_api_calls_only(emulator.url, batch))
            emulator.stop()
    ms = {name: statistics.median(found) / JOBS * 1000 for name, found in runs.items()}
    print(f"python-telegram-bot, one sendMessage: {ms['baseline']:.2f} ms CPU per update")
    print(f"fulmine, job to sendPhoto: {ms['fulmine']:.2f} ms CPU per job; calls {calls}")
    print(f"python-telegram-bot, a job's Bot API calls alone: {ms['calls_only']:.2f} ms")
    emit(
        {
            "cpu_ms_per_job": ms["fulmine"],
            "baseline_cpu_ms": ms["baseline"],
            "calls_only_cpu_ms": ms["calls_only"],
            "calls": dict(calls),
            "rounds": {name: [t / JOBS * 1000 for t in found] for name, found in runs.items()},
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
