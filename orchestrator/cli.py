"""The ``fulmine`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from orchestrator.settings import MissingSetting, Settings, describe_validation_error


def _fail(message: str) -> int:
    print(f"fulmine: {message}", file=sys.stderr)
    return 2


def _load_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from orchestrator.app import create_app
    from orchestrator.frontend import load_frontend_factory
    from orchestrator.logs import configure_logging

    settings = _load_settings()
    configure_logging(settings.log_level, settings.secret_values())
    app = create_app(settings, load_frontend_factory())
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5,
    )
    return 0


def _print_answer(answer: dict[str, Any]) -> int:
    print(f"Telegram answered: {json.dumps(answer)}")
    return 0 if answer.get("ok") else 1


def _set_webhook(args: argparse.Namespace) -> int:
    from orchestrator.webhook_admin import set_webhook

    settings = _load_settings()
    print(f"Setting the webhook to {settings.webhook_url}")
    return _print_answer(asyncio.run(set_webhook(settings)))


def _delete_webhook(args: argparse.Namespace) -> int:
    from orchestrator.webhook_admin import delete_webhook

    return _print_answer(asyncio.run(delete_webhook(_load_settings())))


def _chat(args: argparse.Namespace) -> int:
    from orchestrator.chat import run_chat

    return asyncio.run(run_chat(photo_dir=Path(args.photos).absolute()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fulmine", description="Fulmine Telegram image bot")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the webhook orchestrator")
    serve.add_argument("--host", help="listen address (default: HOST)")
    serve.add_argument("--port", type=int, help="listen port (default: PORT)")
    serve.set_defaults(run=_serve)
    commands.add_parser(
        "set-webhook", help="point Telegram at PUBLIC_URL/telegram/webhook"
    ).set_defaults(run=_set_webhook)
    commands.add_parser(
        "delete-webhook", help="stop Telegram sending updates to the webhook"
    ).set_defaults(run=_delete_webhook)
    chat = commands.add_parser("chat", help="chat with the bot offline in this terminal")
    chat.add_argument("--photos", default="fulmine-chat", help="folder for received photos")
    chat.set_defaults(run=_chat)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ValidationError as exc:
        return _fail(f"configuration error: {describe_validation_error(exc)}")
    except MissingSetting as exc:
        return _fail(f"configuration error: {exc}")
    except ConnectionError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
