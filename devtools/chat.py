"""``fulmine chat``: talk to the real orchestrator from a terminal, fully offline.

The orchestrator runs on loopback against the in-process Bot API emulator; each line
typed becomes a real Update posted to the webhook with the secret, and what the bot
sends comes back through the emulator. Photos are saved to a folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

import httpx

from devtools.emulator import BotApiEmulator, BotEvent
from devtools.pay import PAY_COMMAND, pay_pending
from orchestrator.app import create_app
from orchestrator.frontend import load_frontend_factories
from orchestrator.serving.logs import configure_logging
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings

REPLY_TIMEOUT_S = 300.0
EXIT_WORDS = {"/quit", "/exit"}


def _read_lines(stream: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines from a blocking stream, via a daemon thread so Ctrl-C never waits on it."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=pump, name="chat-stdin", daemon=True).start()
    return lines


def offline_providers(settings: Settings) -> dict[str, str]:
    """``auto`` means the placeholder here; an explicitly named provider is kept."""
    return {
        field: "placeholder"
        for field in ("generate_provider", "edit_provider")
        if getattr(settings, field) == "auto"
    }


class ChatPrinter:
    """Prints what the bot does, as a person in the chat would see it."""

    def __init__(self, emulator: BotApiEmulator, photo_dir: Path, out: TextIO) -> None:
        self._emulator = emulator
        self._photo_dir = photo_dir
        self._out = out
        self.last_photo_message_id: int | None = None

    def _save(self, file_id: str, extension: str) -> Path:
        self._photo_dir.mkdir(parents=True, exist_ok=True)
        number = len(list(self._photo_dir.glob("photo-*"))) + 1
        while (path := self._photo_dir / f"photo-{number:03d}.{extension}").exists():
            number += 1
        path.write_bytes(self._emulator.file_bytes(file_id))
        return path

    def show(self, event: BotEvent) -> None:
        message: dict[str, Any] = event.message or {}
        if event.kind == "message" and message.get("photo"):
            largest = message["photo"][-1]
            path = self._save(largest["file_id"], "png")
            self.last_photo_message_id = message["message_id"]
            size = f"{largest['width']}x{largest['height']}"
            self._say(f"[photo {size}] saved to {path}")
            if caption := message.get("caption"):
                self._say(f"  caption: {caption}")
        elif event.kind == "message" and message.get("document"):
            path = self._save(message["document"]["file_id"], "bin")
            self._say(f"[file] saved to {path}")
        elif event.kind in ("message", "edit") and message.get("text"):
            prefix = "(edited) " if event.kind == "edit" else ""
            self._say(prefix + message["text"])

    def _say(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            print(f"bot> {line}", file=self._out, flush=True)


async def run_chat(photo_dir: Path, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    configure_logging("WARNING", json=not interactive)
    token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(33)}"
    emulator = BotApiEmulator(token)
    events = emulator.subscribe()
    printer = ChatPrinter(emulator, photo_dir, out)
    async with serve_in_background(emulator.app) as emulator_url:
        settings = Settings(
            telegram_bot_token=token,  # type: ignore[arg-type]
            telegram_webhook_secret=secrets.token_urlsafe(32),  # type: ignore[arg-type]
            telegram_api_base_url=f"{emulator_url}/bot",
            telegram_file_base_url=f"{emulator_url}/file/bot",
            # The chat is a local, offline session: state in this process, and the
            # placeholder unless a provider is named explicitly (provider keys in the
            # environment alone must not turn a demo into paid calls).
            redis_url=None,
        )
        settings = settings.model_copy(update=offline_providers(settings))
        secret = settings.telegram_webhook_secret.get_secret_value()
        app = create_app(settings, load_frontend_factories(["telegram"]))
        runtime = app.state.runtime
        async with serve_in_background(app) as orchestrator_url, httpx.AsyncClient() as http:
            user = emulator.user(1, "You", language_code="en")
            chat = emulator.private_chat(user)
            print(
                f"Fulmine chat (Bot API emulator; providers: {settings.generate_provider} for "
                f"/generate, {settings.edit_provider} for /edit)."
                f"\nPhotos are saved in {photo_dir}/. /edit applies to the last "
                "image. /quit to leave.",
                file=out,
                flush=True,
            )
            lines = _read_lines(stdin, asyncio.get_running_loop())
            while True:
                if interactive:
                    print("you> ", end="", file=out, flush=True)
                line = await lines.get()
                if line is None or line.strip() in EXIT_WORDS:
                    break
                text = line.strip()
                if not text:
                    continue
                reply_to = printer.last_photo_message_id if text.startswith("/edit") else None
                if text == PAY_COMMAND and runtime.payments is not None:  # fake invoices only
                    paid = await pay_pending(runtime.payments, http, orchestrator_url)
                    print(f"(paid {paid} pending invoice(s))", file=out, flush=True)
                else:
                    update = emulator.user_message(
                        chat, user, text=text, reply_to_message_id=reply_to
                    )
                    await http.post(
                        f"{orchestrator_url}/telegram/webhook",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                    )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REPLY_TIMEOUT_S):
                        await runtime.wait_idle()
                while not events.empty():
                    printer.show(events.get_nowait())
    return 0


def _chat(args: argparse.Namespace) -> int:
    return asyncio.run(run_chat(photo_dir=Path(args.photos).absolute()))


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``fulmine chat`` (through the ``fulmine.commands`` entry point)."""
    chat = commands.add_parser("chat", help="chat with the bot offline in this terminal")
    chat.add_argument("--photos", default="fulmine-chat", help="folder for received photos")
    chat.set_defaults(run=_chat)
