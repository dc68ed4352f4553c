"""``fulmine chat``: talk to the real orchestrator from a terminal, fully offline.

The orchestrator runs on loopback against the in-process Bot API emulator; each line
typed becomes a real Update posted to the webhook with the secret, and what the bot
sends comes back through the emulator. Photos are saved to a folder. The chat's own
commands (``CHAT_HELP``) press inline buttons and switch between people and chats
(``devtools.chat_scene``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

import httpx

from devtools.chat_scene import Scene, SceneError
from devtools.chat_view import ChatPrinter
from devtools.emulator import BotApiEmulator, BotEvent
from devtools.emulator.models import JSON
from devtools.pay import PAY_COMMAND, pay_pending
from orchestrator.app import create_app
from orchestrator.frontend import load_frontend_factories
from orchestrator.serving.logs import configure_logging
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings

REPLY_TIMEOUT_S = 300.0
EXIT_WORDS = {"/quit", "/exit"}
IMAGE_COMMANDS = ("/edit", "/upscale", "/verify")
"""Commands sent as a reply to the chat's latest image (as one would reply to it)."""


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


CHAT_HELP = """\
Chat commands (any other line goes to the bot):
  /press N      press button N under the latest message with buttons (buttons print as
                #M [1] Regenerate  [2] Variations ...; /press N M presses one under #M)
  /as NAME      talk as NAME, a new person the first time (/as you: back to the first;
                /as 2: the person with user id 2)
  /group        talk in a group everybody here is in; /private: back to a private chat
  /pay          pay every pending invoice (with PAYMENTS_BACKEND=fake)
  /chat         this help and who is here; /quit leaves
/edit, /upscale and /verify are sent as a reply to the latest image in the chat, and the
answer to a question of the bot's ("What should I draw?") as a reply to it."""


class Chat:
    """One ``fulmine chat`` session: lines in, Updates to the webhook, the bot's doing out."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        printer: ChatPrinter,
        scene: Scene,
        post: Callable[[JSON], Awaitable[None]],
        pay: Callable[[], Awaitable[int | None]],
    ) -> None:
        self._emulator = emulator
        self._printer = printer
        self._scene = scene
        self._post = post
        self._pay = pay

    async def handle(self, text: str) -> None:
        """One line typed by the current person."""
        word, _, rest = text.partition(" ")
        scene, printer = self._scene, self._printer
        try:
            if word == "/chat":
                printer.note(f"{CHAT_HELP}\nHere: {scene.people()}")
            elif word == "/as":
                new = scene.switch_to(rest.strip())
                printer.note(("new person; " if new else "") + f"now {scene.prompt()[:-2]}")
            elif word in ("/group", "/private"):
                if rest.strip():
                    raise SceneError(f"{word} takes nothing after it.")
                scene.in_group = word == "/group"
                printer.note(f"now {scene.prompt()[:-2]}")
            elif word == "/press":
                await self._press(rest.split())
            elif word == PAY_COMMAND and (paid := await self._pay()) is not None:
                printer.note(f"paid {paid} pending invoice(s)")
            else:
                await self._say(text)
        except SceneError as exc:
            printer.note(str(exc))

    async def _say(self, text: str) -> None:
        chat = self._scene.chat
        reply_to = self._scene.answering(text)
        if reply_to is None and text.partition(" ")[0].partition("@")[0] in IMAGE_COMMANDS:
            reply_to = self._printer.last_photo.get(chat["id"])
        update = self._emulator.user_message(
            chat, self._scene.user, text=text, reply_to_message_id=reply_to
        )
        await self._post(update)

    async def _press(self, arguments: list[str]) -> None:
        press = self._scene.press(arguments)
        if press.update is None:
            self._printer.note(press.shown or "")
            return
        await self._post(press.update)
        query_id = press.update["callback_query"]["id"]
        answers = [
            call
            for call in self._emulator.calls_to("answerCallbackQuery")
            if call.ok and call.params.get("callback_query_id") == query_id
        ]
        if not answers:
            self._printer.note("the bot did not answer the press")
        elif text := answers[0].params.get("text"):
            kind = "alert" if answers[0].params.get("show_alert") else "pop-up"
            self._printer.say(self._scene.chat["id"], f"[{kind}] {text}")

    def show_what_happened(self, events: asyncio.Queue[BotEvent]) -> None:
        self._scene.note_questions()
        while not events.empty():
            self._printer.show(events.get_nowait())


async def run_chat(photo_dir: Path, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    configure_logging("WARNING", json=not interactive)
    token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(33)}"
    emulator = BotApiEmulator(token)
    events = emulator.subscribe()
    scene = Scene(emulator)
    printer = ChatPrinter(emulator, photo_dir, out, scene.where)
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

            async def post(update: JSON) -> None:
                await http.post(
                    f"{orchestrator_url}/telegram/webhook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REPLY_TIMEOUT_S):
                        await runtime.wait_idle()

            async def pay() -> int | None:
                if runtime.payments is None:  # no payments: /pay is the bot's to answer
                    return None
                return await pay_pending(runtime.payments, http, orchestrator_url)

            chat = Chat(emulator, printer, scene, post, pay)
            print(
                f"Fulmine chat (Bot API emulator; providers: {settings.generate_provider} for "
                f"/generate, {settings.edit_provider} for /edit)."
                f"\nPhotos are saved in {photo_dir}/. /edit, /upscale and /verify apply to the "
                "last image in the chat. /chat lists the chat's own commands (/press, /as, "
                "/group); /quit to leave.",
                file=out,
                flush=True,
            )
            lines = _read_lines(stdin, asyncio.get_running_loop())
            while True:
                if interactive:
                    print(scene.prompt(), end="", file=out, flush=True)
                line = await lines.get()
                if line is None or line.strip() in EXIT_WORDS:
                    break
                text = line.strip()
                if not text:
                    continue
                await chat.handle(text)
                chat.show_what_happened(events)
    return 0


def _chat(args: argparse.Namespace) -> int:
    return asyncio.run(run_chat(photo_dir=Path(args.photos).absolute()))


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``fulmine chat`` (through the ``fulmine.commands`` entry point)."""
    chat = commands.add_parser("chat", help="chat with the bot offline in this terminal")
    chat.add_argument("--photos", default="fulmine-chat", help="folder for received photos")
    chat.set_defaults(run=_chat)
