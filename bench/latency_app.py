"""The bots of the latency bench, each served as ``fulmine serve`` serves its app.

    python -m bench.latency_app KIND PORT EMULATOR_URL OUT_FILE

Both answer ``/generate <prompt> <n>`` with a status message, a provider call of
``BENCH_PROVIDER_SLEEP_S`` seconds (default 2) and the photo, and on exit write to
OUT_FILE, as JSON, when each provider call answered: ``{n: time.monotonic()}``.

``fulmine``: the real app (webhook, Telegram front end, memory state, worker) with a
provider that sleeps, then answers with a small PNG. ``floor``: a minimal
python-telegram-bot bot doing the same calls, as its documentation's custom-webhook
example does (a Starlette route puts each update in the application's queue;
``concurrent_updates``): reply with the status message, sleep, send the photo with the
same caption and buttons, delete the status message.

For the handled-ingest bench (``bench.ingest_handled``): ``handled`` is the real app with
the provider that answers at once; ``bare`` the ingest bench's bare endpoint; ``idle`` the
ingest bench's app (updates taken and dropped: the acknowledgement alone). A kind ending
in ``unsigned`` (``fulmine-unsigned``, ``handled-unsigned``) is the same app with the C2PA
signing of each image left out, to tell its cost from the rest.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.ingest_app import IdleFrontend, bare_app
from bench.support import (
    BOT_TOKEN,
    PNG,
    WEBHOOK_SECRET,
    SleepingProvider,
    bench_settings,
    register_bench_providers,
)
from bot.frontend import TelegramFrontend
from bot.results.buttons import result_keyboard
from orchestrator.app import create_app
from orchestrator.jobs.providers import BUILDERS
from orchestrator.provenance import manifest
from orchestrator.serving.logs import configure_logging
from orchestrator.serving.server import bounded_server_options
from providers.base import ImageRequest, ProviderImage
from state.models import Job, JobKind

SLEEP_S = float(os.environ.get("BENCH_PROVIDER_SLEEP_S", "2"))
ANSWERED: dict[int, float] = {}  # the prompt's number: when the provider answered


def _number(prompt: str) -> int:
    return int(prompt.rsplit(" ", 1)[-1])


class StampingProvider(SleepingProvider):
    async def generate(self, request: ImageRequest) -> list[ProviderImage]:
        images = await super().generate(request)
        ANSWERED[_number(request.prompt)] = time.monotonic()
        return images


def fulmine_app(emulator_url: str, provider: str) -> tuple[ASGIApp, dict[str, Any]]:
    register_bench_providers()
    BUILDERS["bench-sleep"] = lambda settings, entry, named_by: StampingProvider(SLEEP_S)
    settings = bench_settings(
        emulator_url,
        generate_provider=provider,
        log_level="INFO",
        # Not paced (bench_settings): 50 jobs a second to as many chats is past Telegram's
        # 30 messages a second overall, which the emulator here does not enforce (bench 7).
        telegram_set_menus=False,
        # About 100 jobs wait on the provider at once: enough workers for all of them.
        worker_concurrency=200,
    )
    configure_logging(settings.log_level, settings.secret_values())
    # The server options of `fulmine serve` (orchestrator/cli.py).
    options = {
        "timeout_graceful_shutdown": int(settings.shutdown_grace_s) + 5,
        **bounded_server_options(settings.request_receive_timeout_s, settings.max_connections),
    }
    return create_app(settings, TelegramFrontend), options


def floor_app(emulator_url: str) -> tuple[ASGIApp, dict[str, Any]]:
    application = (
        Application.builder()
        .token(BOT_TOKEN)
        .base_url(f"{emulator_url}/bot")
        .base_file_url(f"{emulator_url}/file/bot")
        .updater(None)
        .concurrent_updates(True)
        .build()
    )

    async def generate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.text is not None
        status = await message.reply_text("Generating…")
        await asyncio.sleep(SLEEP_S)
        ANSWERED[_number(message.text)] = time.monotonic()
        job = Job(
            kind=JobKind.GENERATE,
            prompt=message.text.partition(" ")[2],
            chat_id=message.chat_id,
            user_id=message.chat_id,
            request_message_id=message.message_id,
            chat_type="private",
        )
        await message.reply_photo(PNG, caption=job.prompt, reply_markup=result_keyboard(job))
        await status.delete()

    application.add_handler(CommandHandler("generate", generate))

    async def webhook(request: Request) -> Response:
        if request.headers.get("x-telegram-bot-api-secret-token") != WEBHOOK_SECRET:
            return Response(status_code=403)
        data = await request.json()
        await application.update_queue.put(Update.de_json(data, application.bot))
        return Response()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with application:
            await application.start()
            yield
            await application.stop()

    routes = [Route("/telegram/webhook", webhook, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan), {"timeout_graceful_shutdown": 35}


def main(kind: str, port: int, emulator_url: str, out: Path) -> None:
    if kind == "floor":
        app, options = floor_app(emulator_url)
    elif kind == "bare":
        app, options = bare_app(), {}
    elif kind == "idle":  # the ingest bench's app: updates taken, then dropped unhandled
        register_bench_providers()
        app, options = create_app(bench_settings(emulator_url), IdleFrontend), {}
    else:
        if kind.endswith("unsigned"):
            # A diagnostic: everything but the C2PA manifest (the watermark still goes on).
            manifest.sign = lambda data, *args, **kwargs: data
        provider = "bench-instant" if kind.startswith("handled") else "bench-sleep"
        app, options = fulmine_app(emulator_url, provider)
    # uvicorn stops on SIGTERM and then raises it again with the handler found before it:
    # one that does nothing lets the answer times below be written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    profile = os.environ.get("BENCH_PROFILE")  # a file for cProfile's statistics
    profiler = cProfile.Profile() if profile and kind not in ("floor", "bare") else None
    if profiler is not None:
        profiler.enable()
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, **options)
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    out.write_text(json.dumps(ANSWERED))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
