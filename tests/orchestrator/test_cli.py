"""The ``fulmine`` command as an operator runs it: real processes, real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from devtools.emulator import BotApiEmulator
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

FULMINE = str(Path(sys.executable).with_name("fulmine"))


def _env(**values: str) -> dict[str, str]:
    """A clean environment: only what the test sets (plus PATH and friends)."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    return {**keep, **values}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        FULMINE,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": BOT_TOKEN}, "TELEGRAM_WEBHOOK_SECRET"),
        (
            {"TELEGRAM_BOT_TOKEN": "nonsense", "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET},
            "TELEGRAM_BOT_TOKEN",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": "nonsense"},
            "TELEGRAM_WEBHOOK_SECRET",  # under 16 characters
        ),
        (
            {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": "has spaces!"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "PORT": "http",
            },
            "PORT",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "ADMIN_USER_IDS": "x",
            },
            "ADMIN_USER_IDS",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "GENERATE_PROVIDER": "dall-e",
            },
            "GENERATE_PROVIDER",
        ),
    ],
)
async def test_bad_configuration_is_one_clear_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    code, _out, err = await _run("serve", env=_env(**env), cwd=tmp_path)
    assert code == 2
    assert err.count("\n") == 1, err
    assert variable in err
    assert "Traceback" not in err
    assert "nonsense" not in err


async def test_set_webhook_without_public_url_names_it(tmp_path: Path) -> None:
    env = _env(TELEGRAM_BOT_TOKEN=BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    code, _, err = await _run("set-webhook", env=env, cwd=tmp_path)
    assert code == 2
    assert "PUBLIC_URL" in err


async def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={BOT_TOKEN}\nTELEGRAM_WEBHOOK_SECRET={WEBHOOK_SECRET}\n"
        "PORT=not-a-port\n"
    )
    code, _, err = await _run("serve", env=_env(), cwd=tmp_path)
    assert code == 2
    assert "PORT" in err


async def test_real_payments_without_redis_refuse_to_start(tmp_path: Path) -> None:
    """Balances in memory would be erased by a restart, and an invoice paid after it
    never credited: a real payment backend needs REDIS_URL."""
    env = _env(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PAYMENTS_BACKEND="lnbits",
        LNBITS_URL="http://127.0.0.1:9",
        LNBITS_INVOICE_KEY="inkey-secret-value",
    )
    code, _, err = await _run("serve", env=env, cwd=tmp_path)
    assert code == 2
    assert err.count("\n") == 1, err
    assert "REDIS_URL" in err
    assert "PAYMENTS_BACKEND=lnbits" in err
    assert "Traceback" not in err
    assert "inkey-secret-value" not in err


@pytest.fixture
async def bot_api() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    from orchestrator.serving.server import serve_in_background

    emulator = BotApiEmulator(BOT_TOKEN)
    async with serve_in_background(emulator.app) as url:
        yield emulator, url


async def test_set_and_delete_webhook_print_telegram_answer(
    tmp_path: Path, bot_api: tuple[BotApiEmulator, str]
) -> None:
    emulator, url = bot_api
    env = _env(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TELEGRAM_API_BASE_URL=f"{url}/bot",
        PUBLIC_URL="https://bot.example.org/",
    )
    code, out, err = await _run("set-webhook", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "Telegram answered" in out
    assert BOT_TOKEN not in out + err
    (call,) = emulator.calls_to("setWebhook")
    assert call.params["url"] == "https://bot.example.org/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]

    code, out, _ = await _run("delete-webhook", env=env, cwd=tmp_path)
    assert code == 0
    assert json.loads(out.split("Telegram answered: ", 1)[1])["ok"] is True
    assert emulator.calls_to("deleteWebhook")


async def test_serve_answers_generate_with_a_photo_and_never_logs_secrets(
    tmp_path: Path, bot_api: tuple[BotApiEmulator, str]
) -> None:
    emulator, url = bot_api
    port = _free_port()
    env = _env(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TELEGRAM_API_BASE_URL=f"{url}/bot",
        TELEGRAM_FILE_BASE_URL=f"{url}/file/bot",
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="DEBUG",
        REQUEST_RECEIVE_TIMEOUT_S="1",
    )
    process = await asyncio.create_subprocess_exec(
        FULMINE, "serve", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=5) as http:
            async with asyncio.timeout(60):  # it loads the moderation models first
                while True:
                    try:
                        if (await http.get(f"{base}/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            user = emulator.user(7, "Grace")
            chat = emulator.private_chat(user)
            update = emulator.user_message(chat, user, text="/generate a red fox")
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            response = await http.post(f"{base}/telegram/webhook", json=update, headers=headers)
            assert response.status_code == 200
            sent = await emulator.wait_for_call("sendPhoto", timeout=20)
            assert sent.params["caption"] == "a red fox"
            assert sent.params["chat_id"] == chat["id"]
            # An edit downloads the input through a file URL that carries the token.
            edit = emulator.user_message(
                chat, user, text="/edit make it blue", reply_to_message_id=sent.result["message_id"]
            )
            await http.post(f"{base}/telegram/webhook", json=edit, headers=headers)
            await emulator.wait_for_call(
                "sendPhoto", lambda call: call.params["caption"] == "make it blue", timeout=20
            )
            # A client that sends half a request is cut off after REQUEST_RECEIVE_TIMEOUT_S.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n")
            async with asyncio.timeout(5):
                assert await reader.read() == b""
            writer.close()
    finally:
        process.terminate()
        _, err_bytes = await asyncio.wait_for(process.communicate(), 30)
    logs = err_bytes.decode()
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines, "serve logged nothing"
    parsed = [json.loads(line) for line in lines]  # JSON when not on a terminal
    assert any(entry.get("event") == "job_delivered" and entry.get("job_id") for entry in parsed)
    # One request's lines are tied together: the update's id, then the job's id.
    (accepted, *_) = [entry for entry in parsed if entry.get("event") == "job_accepted"]
    assert accepted["update_id"] == update["update_id"]
    calls = [entry for entry in parsed if entry.get("event") == "provider_finished"]
    assert [call["job_id"] for call in calls[:1]] == [accepted["job_id"]]
    assert all(call["provider"] == "placeholder" for call in calls)
    assert all(call["outcome"] == "ok" and call["latency_s"] >= 0 for call in calls)
    assert {call["kind"] for call in calls} == {"generate", "edit"}
    assert BOT_TOKEN not in logs
    assert BOT_TOKEN.split(":")[1] not in logs
    assert WEBHOOK_SECRET not in logs
    # uvicorn re-raises SIGTERM after its graceful shutdown, as a server should.
    assert process.returncode in (0, -signal.SIGTERM)
    assert any(entry["event"] == "orchestrator_stopped" for entry in parsed), logs
    # Moderation: both checks, prompt and image, are on by default.
    (moderation,) = [entry for entry in parsed if entry.get("event") == "moderation.started"]
    checks = {"terms", "minors_rule", "profanity_model", "image_model"}
    assert checks <= set(moderation["checks"]), moderation
    assert moderation["missing"] == []
