"""The ``fulmine`` command.

Its own commands run the orchestrator (``serve``, ``worker``) and launch the GPU server
(``gpu-server``). Other packages add theirs under the ``fulmine.commands`` entry point (a
function given the subparsers; it adds one or more commands whose ``run`` default takes the
parsed arguments): the Telegram front end its webhook commands, the development tools
``chat``. So this module imports neither, and a deployment without a package (the container
has no development tools) simply lacks its commands.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from orchestrator.catalog import CatalogError
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
    from orchestrator.frontend import load_frontend_factories
    from orchestrator.serving.logs import configure_logging
    from orchestrator.serving.server import bounded_server_options

    settings = _load_settings()
    configure_logging(settings.log_level, settings.secret_values())
    # Without Redis the queue lives in this process, so this process must run the jobs.
    run_worker = args.with_worker or settings.redis_url is None
    app = create_app(
        settings, load_frontend_factories(settings.frontends or None), run_worker=run_worker
    )
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5,
        **bounded_server_options(settings.request_receive_timeout_s, settings.max_connections),
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from orchestrator.frontend import load_frontend_factories
    from orchestrator.jobs.process import run_worker_process
    from orchestrator.serving.logs import configure_logging

    settings = _load_settings()
    if settings.redis_url is None:
        return _fail(
            "fulmine worker needs REDIS_URL (without Redis, `fulmine serve` runs the jobs itself)"
        )
    configure_logging(settings.log_level, settings.secret_values())
    asyncio.run(run_worker_process(settings, load_frontend_factories(settings.frontends or None)))
    return 0


def _gpu_server(args: argparse.Namespace) -> int:
    # The GPU server is a deployable of its own; this command is its launcher's caller.
    from gpu_server.launch import GpuExtraMissing, run_gpu_server
    from gpu_server.settings import ENV_PREFIX, ConfigError
    from orchestrator.serving.logs import configure_logging

    try:
        failure = run_gpu_server(args.host, args.port, configure_logging)
    except ValidationError as exc:
        return _fail(f"configuration error: {describe_validation_error(exc, ENV_PREFIX)}")
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    except GpuExtraMissing as exc:
        return _fail(str(exc))
    return _fail(f"the GPU server stopped: {failure}") if failure else 0


def add_contributed_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Commands other installed packages register under ``fulmine.commands``."""
    from importlib.metadata import entry_points

    for entry_point in sorted(entry_points(group="fulmine.commands"), key=lambda e: e.name):
        try:
            add = entry_point.load()
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] != entry_point.value.split(".")[0]:
                raise  # a real missing dependency, not an absent package
            continue  # that package is not part of this installation (devtools in an image)
        add(commands)


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
    gpu = commands.add_parser(
        "gpu-server", help="run the self-hosted GPU image server (needs the gpu extra)"
    )
    gpu.add_argument("--host", help="listen address (default: GPU_SERVER_HOST)")
    gpu.add_argument("--port", type=int, help="listen port (default: GPU_SERVER_PORT)")
    gpu.set_defaults(run=_gpu_server)
    from orchestrator.provenance.cli import add_command as add_verify

    add_verify(commands)
    add_contributed_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ValidationError as exc:
        return _fail(f"configuration error: {describe_validation_error(exc)}")
    except (MissingSetting, CatalogError) as exc:
        return _fail(f"configuration error: {exc}")
    except (ConnectionError, StateUnavailable) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
