"""Parts of the latency and handled-ingest benches: the Bot API emulator with each call's
arrival time, and the bot under test as a server in its own process.

Times are ``time.monotonic()``: on Linux one clock for every process of the machine, so
a time taken in the bot's process and one taken here can be subtracted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from bench.support import BOT_TOKEN, BOT_USERNAME, ROOT
from devtools.emulator import BotApiEmulator
from devtools.emulator.models import ApiCall
from orchestrator.serving.server import serve_in_background
from tests.redis_server import free_port

_ARRIVED: ContextVar[float] = ContextVar("arrived", default=0.0)


class _Stamping:
    """An ASGI app with the time each request reached it (its headers in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _ARRIVED.set(time.monotonic())
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class Stamp:
    method: str
    chat_id: int | None
    arrived: float  # the request's headers in, before its body (an upload) was read
    ok: bool


class StampedEmulator(BotApiEmulator):
    """The emulator, answering at once, keeping for each call only its method, chat,
    arrival and outcome (not the call itself: a bench makes tens of thousands)."""

    def __init__(self) -> None:
        super().__init__(BOT_TOKEN, bot_username=BOT_USERNAME)
        self.stamps: list[Stamp] = []
        self._chat = 10_000

    def _record(self, call: ApiCall) -> None:
        chat_id = call.params.get("chat_id")
        chat = chat_id if type(chat_id) is int else None
        self.stamps.append(Stamp(call.method, chat, _ARRIVED.get(), call.ok))

    def updates(self, texts: list[str]) -> list[dict[str, Any]]:
        """One message update per text, each from a new user in its own private chat."""
        found = []
        for text in texts:
            self._chat += 1
            person = self.user(self._chat, f"User{self._chat}")
            found.append(self.user_message(self.private_chat(person), person, text=text))
        return found

    def chats(self, count: int) -> int:
        """``count`` private chats with new users, ids in a row: the first id."""
        first = self._chat + 1
        for _ in range(count):
            self._chat += 1
            self.private_chat(self.user(self._chat, f"User{self._chat}"))
        return first

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        async with serve_in_background(_Stamping(self.app)) as url:
            yield url


async def wait_listening(
    port: int, process: subprocess.Popen[bytes], timeout_s: float = 60
) -> None:
    """Until the process listens (its start-up talks to the emulator on this loop)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bot process ended (exit {process.returncode})")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("the bot process did not start listening")


class BotProcess:
    """``python -m MODULE KIND PORT EMULATOR_URL OUT_FILE``: a bot served by uvicorn; what
    it writes to OUT_FILE on exit (JSON) is :meth:`stop`'s answer."""

    def __init__(
        self, module: str, kind: str, emulator_url: str, workdir: Path, prefix: Sequence[str] = ()
    ) -> None:
        self.port = free_port()
        self.out = workdir / f"{kind}-{self.port}.json"
        self.log = workdir / f"{kind}-{self.port}.log"
        self.args = [*prefix, sys.executable, "-m", module, kind, str(self.port), emulator_url]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/webhook"

    async def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - once, before the load
                [*self.args, str(self.out)], cwd=ROOT, stdout=log, stderr=log
            )
        await wait_listening(self.port, self.process)

    async def stop(self) -> Any:
        """Stops the bot (SIGTERM: uvicorn's graceful shutdown, which still talks to the
        emulator); what it wrote."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
        async with asyncio.timeout(90):
            while self.process.poll() is None:  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.05)
        try:
            return json.loads(self.out.read_text())
        except (OSError, ValueError):
            return None
