"""The orchestrator around its state: Redis going away and coming back, a memory queue
drained on shutdown, and the ``fulmine worker`` command's own checks."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from tests.conftest import WEBHOOK_SECRET, Stack, make_settings
from tests.redis_server import RedisServer

FULMINE = str(Path(sys.executable).with_name("fulmine"))
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


async def test_while_redis_is_down_updates_are_refused_then_served_when_it_returns(
    emulator: tuple[BotApiEmulator, str], tmp_path: Path
) -> None:
    bot_api, bot_api_url = emulator
    server = RedisServer(tmp_path)
    server.start()
    try:
        await _redis_goes_and_comes_back(bot_api, bot_api_url, server)
    finally:
        server.stop()


async def _redis_goes_and_comes_back(
    bot_api: BotApiEmulator, bot_api_url: str, server: RedisServer
) -> None:
    settings = make_settings(bot_api_url, redis_url=server.url)
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        runtime = app.state.runtime
        user = bot_api.user(9001, "Ada")
        update = bot_api.user_message(bot_api.private_chat(user), user, text="/generate a fox")
        server.stop()
        response = await http.post(f"{url}/telegram/webhook", json=update, headers=HEADERS)
        assert response.status_code == 503  # not acknowledged: Telegram sends it again
        assert (await http.get(f"{url}/ready")).json()["checks"]["state"] is False
        server.start()  # same port, empty (no persistence)
        response = await http.post(f"{url}/telegram/webhook", json=update, headers=HEADERS)
        assert response.status_code == 200
        await bot_api.wait_for_call("sendPhoto", timeout=10)
        await runtime.wait_idle()
        assert len(bot_api.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize("settings_overrides", [{"worker_concurrency": 1}])
async def test_stopping_finishes_what_was_accepted(stack: Stack) -> None:
    """Memory: the queue is drained before the process ends. Redis: what is left waits
    in Redis for the next worker. Either way nothing accepted is lost."""
    for user_id in (1, 2, 3):
        user = stack.emulator.user(user_id, "Ada")
        chat = stack.emulator.private_chat(user)
        await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.runtime.stop()
    delivered = len(stack.emulator.calls_to("sendPhoto"))
    if stack.runtime.queue.durable:
        settings = stack.runtime.settings
        await stack.runtime.store.start()  # a look at what is left, after the stop
        left = await stack.runtime.store.in_flight()
        await stack.runtime.store.stop()
        assert delivered + left == 3
        async with serve_in_background(create_app(settings, TelegramFrontend)):
            async with asyncio.timeout(10):
                while len(stack.emulator.calls_to("sendPhoto")) < 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    else:
        assert delivered == 3
    assert len(stack.emulator.calls_to("sendPhoto")) == 3


async def _fulmine(*args: str, **env: str) -> tuple[int, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    process = await asyncio.create_subprocess_exec(
        FULMINE, *args, env={**keep, **env}, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        (None, "fulmine worker needs REDIS_URL"),
        ("http://localhost:6379", "REDIS_URL must start with redis://"),
    ],
)
async def test_worker_without_usable_redis_url_says_so_in_one_line(
    redis_url: str | None, expected: str
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
    if redis_url:
        env["REDIS_URL"] = redis_url
    code, err = await _fulmine("worker", **env)
    assert code == 2
    assert err.count("\n") == 1, err
    assert expected in err


async def test_worker_with_redis_down_names_the_problem_not_the_password(tmp_path: Path) -> None:
    port = RedisServer(tmp_path).port  # nothing listens there
    code, err = await _fulmine(
        "worker",
        TELEGRAM_BOT_TOKEN="123:abc",
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        REDIS_URL=f"redis://:hunter2@127.0.0.1:{port}/0",
    )
    assert code == 2
    assert "redis unreachable" in err
    assert "hunter2" not in err
    assert "Traceback" not in err
