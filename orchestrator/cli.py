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
from state.errors import StateUnavailable


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
    from orchestrator.serving import KEEP_ALIVE_S

    settings = _load_settings()
    configure_logging(settings.log_level, settings.secret_values())
    # Without Redis the queue lives in this process, so this process must run the jobs.
    run_worker = args.with_worker or settings.redis_url is None
    app = create_app(settings, load_frontend_factory(), run_worker=run_worker)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from orchestrator.frontend import load_frontend_factory
    from orchestrator.logs import configure_logging
    from orchestrator.worker_process import run_worker_process

    settings = _load_settings()
    if settings.redis_url is None:
        return _fail(
            "fulmine worker needs REDIS_URL (without Redis, `fulmine serve` runs the jobs itself)"
        )
    configure_logging(settings.log_level, settings.secret_values())
    asyncio.run(run_worker_process(settings, load_frontend_factory()))
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


def _gpu_server(args: argparse.Namespace) -> int:
    from orchestrator.gpu_server_setup import GpuExtraMissing, run_gpu_server

    try:
        failure = run_gpu_server(args.host, args.port)
    except GpuExtraMissing as exc:
        return _fail(str(exc))
    return _fail(f"the GPU server stopped: {failure}") if failure else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fulmine", description="Fulmine Telegram image bot")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the webhook orchestrator")
    serve.add_argument("--host", help="listen address (default: HOST)")
    serve.add_argument("--port", type=int, help="listen port (default: PORT)")
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run jobs in this process (always so without REDIS_URL)",
    )
    serve.set_defaults(run=_serve)
    commands.add_parser(
        "worker", help="run jobs from the Redis queue (needs REDIS_URL; no HTTP server)"
    ).set_defaults(run=_worker)
    commands.add_parser(
        "set-webhook", help="point Telegram at PUBLIC_URL/telegram/webhook"
    ).set_defaults(run=_set_webhook)
    commands.add_parser(
        "delete-webhook", help="stop Telegram sending updates to the webhook"
    ).set_defaults(run=_delete_webhook)
    chat = commands.add_parser("chat", help="chat with the bot offline in this terminal")
    chat.add_argument("--photos", default="fulmine-chat", help="folder for received photos")
    chat.set_defaults(run=_chat)
    gpu = commands.add_parser(
        "gpu-server", help="run the self-hosted GPU image server (needs the gpu extra)"
    )
    gpu.add_argument("--host", help="listen address (default: GPU_SERVER_HOST)")
    gpu.add_argument("--port", type=int, help="listen port (default: GPU_SERVER_PORT)")
    gpu.set_defaults(run=_gpu_server)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ValidationError as exc:
        return _fail(f"configuration error: {describe_validation_error(exc)}")
    except MissingSetting as exc:
        return _fail(f"configuration error: {exc}")
    except (ConnectionError, StateUnavailable) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
