"""``fulmine gpu-server``: the settings checked, then the server run by uvicorn.

The server's code needs the ``gpu`` extra; it is imported here, lazily, so that the rest
of the ``fulmine`` command works without torch. The caller (the CLI) passes its logging
set-up, so this package imports nothing else of the project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gpu_server.settings import GpuServerSettings

# Idle keep-alive connections outlast httpx's 5 s (the gpu provider's client), so a
# server closing one never races a request just sent on it.
KEEP_ALIVE_S = 75


class GpuExtraMissing(Exception):
    def __init__(self, module: str) -> None:
        super().__init__(
            f"fulmine gpu-server needs the gpu extra (missing: {module}): "
            "pip install 'fulmine[gpu]'"
        )
        self.module = module


def run_gpu_server(
    host: str | None,
    port: int | None,
    configure_logging: Callable[[str, Iterable[str]], None],
) -> str | None:
    """Serve until stopped; the reason when the models could not be loaded, else None.

    Raises :class:`gpu_server.settings.ConfigError` (or pydantic's ValidationError) for
    settings that cannot work, :class:`GpuExtraMissing` without torch and diffusers.
    """
    settings = GpuServerSettings()
    settings.check()
    try:
        import uvicorn

        from gpu_server.app import create_app
    except ImportError as exc:
        raise GpuExtraMissing(exc.name or str(exc)) from exc

    configure_logging("INFO", [settings.token])
    failures: list[str] = []
    server: uvicorn.Server | None = None

    def on_fatal(reason: str) -> None:
        failures.append(reason)
        if server is not None:
            server.should_exit = True

    app = create_app(settings, on_fatal=on_fatal)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or settings.server_host,
            port=port or settings.server_port,
            log_config=None,
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=30,
        )
    )
    server.run()
    return failures[0] if failures else None
