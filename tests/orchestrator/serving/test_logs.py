from __future__ import annotations

import json
import logging

import pytest
import structlog

from orchestrator.serving.logs import REDACTED, configure_logging, remove_logging_handler
from tests.conftest import BOT_TOKEN


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    level = logging.getLogger().level
    yield
    remove_logging_handler()
    logging.getLogger().setLevel(level)
    structlog.reset_defaults()


def test_secrets_are_redacted_from_structlog_and_stdlib_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG", [BOT_TOKEN, "hunter2-secret"], json=True)
    structlog.get_logger("t").info("calling", url=f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
    logging.getLogger("telegram.ext").warning("secret is %s", "hunter2-secret")
    other_token = "987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    structlog.get_logger("t").error("boom", detail={"nested": [other_token]})
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]
    assert len(lines) == 3
    assert BOT_TOKEN not in err
    assert "hunter2-secret" not in err
    assert other_token not in err
    assert REDACTED in lines[0]["url"]
    assert lines[1]["event"] == f"secret is {REDACTED}"
