"""/health, /ready and /metrics on the real app over HTTP."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from tests.conftest import BOT_TOKEN, Stack, make_settings, redis_settings
from tests.processes import free_port
from tests.redis_server import RedisServer


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


METRICS_TOKEN = "metrics-token-0123456789"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"metrics_token": METRICS_TOKEN}


async def _scrape(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await stack.http.get(
        f"{stack.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
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
    delivered = ("fulmine_jobs_total", (("kind", "generate"), ("outcome", "delivered")))
    assert after[delivered] - before.get(delivered, 0.0) == 1
    latency = (
        "fulmine_provider_latency_seconds_count",
        (("kind", "generate"), ("outcome", "ok"), ("provider", "placeholder")),
    )
    assert after[latency] - before.get(latency, 0.0) == 1
    assert after[("fulmine_jobs_in_flight", ())] == 0


async def test_metrics_count_failed_jobs_by_outcome(stack: Stack) -> None:
    before = await _scrape(stack)
    user = stack.emulator.user(6, "Kay")
    chat = stack.emulator.private_chat(user)
    broken = stack.emulator.user_message(
        chat, user, document=(b"\x89PNG\r\n\x1a\n broken", "broken.png", "image/png")
    )
    await stack.send(broken)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit fix it", reply_to_message_id=broken["message"]["message_id"]
        )
    )
    after = await _scrape(stack)
    failed = ("fulmine_jobs_total", (("kind", "edit"), ("outcome", "failed")))
    assert after[failed] - before.get(failed, 0.0) == 1


async def test_health_and_ready(stack: Stack) -> None:
    assert (await stack.http.get(f"{stack.url}/health")).json() == {"status": "ok"}
    response = await stack.http.get(f"{stack.url}/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["checks"] == {
        "state": True,
        "telegram": True,
        "accepting": True,
        "moderation": True,
        "providers": True,
    }
    assert body["providers"] == {
        "generate": "placeholder",
        "edit": "placeholder",
        "upscale": "placeholder",
    }
    assert body["providers_ready"] == {"generate": True, "edit": True, "upscale": True}


async def test_ready_checks_the_gpu_servers_own_readiness() -> None:
    """A GPU server that does not answer shows as its kinds unready (the GPU models serve
    generate and edit; the upscaler's placeholder is ready); the process stays in
    rotation, so users are still answered."""
    emulator = BotApiEmulator(BOT_TOKEN)
    async with contextlib.AsyncExitStack() as stack:
        bot_api = await stack.enter_async_context(serve_in_background(emulator.app))
        settings = make_settings(
            bot_api,
            generate_provider="gpu",
            gpu_backend_urls="http://127.0.0.1:9",  # discard port: nothing listens
            gpu_server_token="a-gpu-token-0123456789",
        )
        orchestrator = await stack.enter_async_context(
            serve_in_background(create_app(settings, TelegramFrontend))
        )
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        response = await http.get(f"{orchestrator}/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["providers_ready"] == {"generate": False, "edit": False, "upscale": True}
        assert body["checks"]["providers"] is False
        assert body["checks"]["state"] is True


async def test_ready_goes_unready_when_the_bot_api_is_down() -> None:
    emulator = BotApiEmulator(BOT_TOKEN)
    async with contextlib.AsyncExitStack() as stack:
        bot_api = serve_in_background(emulator.app)
        url = await bot_api.__aenter__()
        app = create_app(make_settings(url, ready_cache_s=0), TelegramFrontend)
        orchestrator = await stack.enter_async_context(serve_in_background(app))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        assert (await http.get(f"{orchestrator}/ready")).status_code == 200

        await bot_api.__aexit__(None, None, None)  # Telegram goes away
        response = await http.get(f"{orchestrator}/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["telegram"] is False
        assert (await http.get(f"{orchestrator}/health")).status_code == 200


async def test_ready_follows_redis_going_away_and_coming_back(tmp_path: Path) -> None:
    """Its own redis-server: stopping the session's would break the tests beside it."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    emulator = BotApiEmulator(BOT_TOKEN)
    try:
        async with contextlib.AsyncExitStack() as stack:
            bot_api = await stack.enter_async_context(serve_in_background(emulator.app))
            settings = make_settings(bot_api, ready_cache_s=0, **redis_settings(redis))
            app = create_app(settings, TelegramFrontend)
            orchestrator = await stack.enter_async_context(serve_in_background(app))
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
            assert (await http.get(f"{orchestrator}/ready")).status_code == 200

            redis.stop()
            response = await http.get(f"{orchestrator}/ready")
            assert response.status_code == 503
            assert response.json()["checks"]["state"] is False
            assert (await http.get(f"{orchestrator}/health")).status_code == 200

            redis.start()  # same port, empty
            response = await http.get(f"{orchestrator}/ready")
            assert response.status_code == 200
            assert response.json()["checks"]["state"] is True
    finally:
        redis.stop()


async def test_metrics_need_their_token(stack: Stack) -> None:
    url = f"{stack.url}/metrics"
    assert (await stack.http.get(url)).status_code == 401
    wrong = await stack.http.get(url, headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 401
    assert "fulmine_jobs_total" not in wrong.text


async def test_metrics_are_off_without_a_token_and_on_their_own_port() -> None:
    emulator = BotApiEmulator(BOT_TOKEN)
    async with contextlib.AsyncExitStack() as stack:
        bot_api = await stack.enter_async_context(serve_in_background(emulator.app))
        app = create_app(make_settings(bot_api, metrics_port=free_port()), TelegramFrontend)
        orchestrator = await stack.enter_async_context(serve_in_background(app))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        assert (await http.get(f"{orchestrator}/metrics")).status_code == 404
        port = app.state.runtime.metrics_port.port
        internal = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert internal.status_code == 200
        assert "fulmine_queue_depth" in internal.text


async def test_ready_asks_the_bot_api_once_in_a_while_not_on_every_probe(stack: Stack) -> None:
    for _ in range(5):
        assert (await stack.http.get(f"{stack.url}/ready")).status_code == 200
    assert len(stack.emulator.calls_to("getMe")) <= 2  # start-up's, and one for the probes
