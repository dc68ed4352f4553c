"""/health, /ready and /metrics on the real app over HTTP."""

from __future__ import annotations

import contextlib

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.frontend import TelegramFrontend
from orchestrator.app import create_app
from orchestrator.emulator import BotApiEmulator
from orchestrator.serving import serve_in_background
from tests.conftest import BOT_TOKEN, Stack, make_settings


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _scrape(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await stack.http.get(f"{stack.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _updates(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], outcome: str) -> float:
    return samples.get(("fulmine_updates_received_total", (("outcome", outcome),)), 0.0)


async def test_metrics_count_what_happened(stack: Stack) -> None:
    before = await _scrape(stack)
    user = stack.emulator.user(5, "Lin")
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a kite")
    await stack.send(update)
    await stack.send(update)  # Telegram re-sending: a duplicate
    await stack.post(update, secret="wrong")
    await stack.post(b"{broken")
    after = await _scrape(stack)

    assert _updates(after, "accepted") - _updates(before, "accepted") == 1
    assert _updates(after, "duplicate") - _updates(before, "duplicate") == 1
    assert _updates(after, "forbidden") - _updates(before, "forbidden") == 1
    assert _updates(after, "malformed") - _updates(before, "malformed") == 1
    assert after[("fulmine_queue_depth", ())] == 0


async def test_health_and_ready(stack: Stack) -> None:
    assert (await stack.http.get(f"{stack.url}/health")).json() == {"status": "ok"}
    response = await stack.http.get(f"{stack.url}/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["checks"] == {"state": True, "telegram": True, "accepting": True}
    assert body["providers"] == {"generate": "placeholder", "edit": "placeholder"}


async def test_ready_goes_unready_when_the_bot_api_is_down() -> None:
    emulator = BotApiEmulator(BOT_TOKEN)
    async with contextlib.AsyncExitStack() as stack:
        bot_api = serve_in_background(emulator.app)
        url = await bot_api.__aenter__()
        app = create_app(make_settings(url), TelegramFrontend)
        orchestrator = await stack.enter_async_context(serve_in_background(app))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        assert (await http.get(f"{orchestrator}/ready")).status_code == 200

        await bot_api.__aexit__(None, None, None)  # Telegram goes away
        response = await http.get(f"{orchestrator}/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["telegram"] is False
        assert (await http.get(f"{orchestrator}/health")).status_code == 200
