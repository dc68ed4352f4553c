"""structlog set-up: JSON when not on a terminal, secrets redacted from every line.

Standard-library loggers (uvicorn, httpx, telegram) are routed through the same
processors, so the redaction applies to them too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

REDACTED = "[REDACTED]"
# Bot tokens look like 123456789:AA...; they also appear inside Bot API URLs.
_TOKEN_RE = re.compile(r"\b\d{3,}:[A-Za-z0-9_-]{20,}")


class SecretRedactor:
    """A structlog processor replacing known secrets and token-shaped strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _TOKEN_RE.sub(REDACTED, text)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self._clean(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(item) for item in value)
        if isinstance(value, BaseException):
            return self.redact(repr(value))
        return value

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event_dict.items()):
            event_dict[key] = self._clean(value)
        return event_dict


HANDLER_NAME = "fulmine"


def remove_logging_handler() -> None:
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(existing)


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), *, json: bool | None = None
) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    redactor = SecretRedactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redactor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    remove_logging_handler()  # configuring twice replaces, never duplicates
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; Bot API URLs carry the token.
    for noisy in ("httpx", "httpcore", "telegram.ext.Application", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
