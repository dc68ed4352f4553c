"""Real ``fulmine`` processes for the scale-out tests, and a Bot API emulator whose file
downloads can be held (to catch a worker in the middle of a job)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET
from tests.redis_server import free_port

FULMINE = str(Path(sys.executable).with_name("fulmine"))
Asgi = Callable[..., Awaitable[None]]


class HeldDownloads:
    """ASGI wrapper: while ``hold`` is set, file downloads wait for ``release``."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.hold = False
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/file/") and self.hold:
            self.started.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), 60)
        await self.app(scope, receive, send)


def fulmine_env(bot_api_url: str, **values: str) -> dict[str, str]:
    # PYTHONPATH: the processes run the code under test, as pytest imports it.
    kept = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    keep = {k: v for k, v in os.environ.items() if k in kept}
    return {
        **keep,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": f"{bot_api_url}/bot",
        "TELEGRAM_FILE_BASE_URL": f"{bot_api_url}/file/bot",
        "LOG_LEVEL": "INFO",
        **values,
    }


class Fulmine:
    """One ``fulmine`` process; its logs (JSON lines) go to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.port: int | None = None
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = dict(self.env)
        if self.args[0] == "serve":
            self.port = free_port()
            env.update(HOST="127.0.0.1", PORT=str(self.port))
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                FULMINE, *self.args, env=env, cwd=self.log_path.parent, stderr=log, stdout=log
            )
        await self._wait_ready()

    async def _wait_ready(self, timeout_s: float = 30) -> None:
        """Started (a serve: listening too; uvicorn binds after the app has started)."""
        async with asyncio.timeout(timeout_s), httpx.AsyncClient(timeout=1) as http:
            while not (self.logged("orchestrator_started") and await self._listening(http)):
                assert self.process is not None
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.name} exited: {self.log_path.read_text()}")
                await asyncio.sleep(0.05)

    async def _listening(self, http: httpx.AsyncClient) -> bool:
        if self.port is None:
            return True
        try:
            return (await http.get(f"{self.url}/health")).status_code == 200
        except httpx.TransportError:
            return False

    def events(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log_path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        return entries

    def logged(self, event: str) -> int:
        return sum(1 for entry in self.events() if entry.get("event") == event)

    async def wait_logged(self, event: str, count: int = 1, timeout_s: float = 20) -> None:
        async with asyncio.timeout(timeout_s):
            while self.logged(event) < count:  # noqa: ASYNC110 - another process's log
                await asyncio.sleep(0.05)

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def wait(self, timeout_s: float = 30) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout_s)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def post_update(http: httpx.AsyncClient, server: Fulmine, update: Any) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    response = await http.post(f"{server.url}/telegram/webhook", json=update, headers=headers)
    return response.status_code
