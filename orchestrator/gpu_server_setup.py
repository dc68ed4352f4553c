"""``fulmine gpu-server``: settings to :class:`ServerConfig`, and the server run by uvicorn.

The server reads :class:`GpuServerSettings` only (no TELEGRAM_* needed on the GPU machine).
Its code needs the ``gpu`` extra; it is imported here, lazily, so that the rest of the
``fulmine`` command works without torch.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.gpu_settings import GpuServerSettings
from orchestrator.settings import MissingSetting
from providers.gpu_server.config import ServerConfig


class GpuExtraMissing(Exception):
    def __init__(self, module: str) -> None:
        super().__init__(
            f"fulmine gpu-server needs the gpu extra (missing: {module}): "
            "pip install 'fulmine[gpu]'"
        )
        self.module = module


def server_config(settings: GpuServerSettings) -> ServerConfig:
    if settings.gpu_server_token is None:
        raise MissingSetting("GPU_SERVER_TOKEN", "is required to run the GPU server")
    lora_dir = Path(settings.gpu_lora_dir) if settings.gpu_lora_dir else None
    if lora_dir is not None and not lora_dir.is_dir():
        raise MissingSetting("GPU_LORA_DIR", "names a folder that does not exist")
    if not settings.gpu_generate_model and not settings.gpu_edit_model:
        raise MissingSetting("GPU_GENERATE_MODEL", "or GPU_EDIT_MODEL must name a model")
    for variable, model in (
        ("GPU_GENERATE_MODEL", settings.gpu_generate_model),
        ("GPU_EDIT_MODEL", settings.gpu_edit_model),
    ):
        # A path (not a hub name like owner/model) must exist: say so before loading torch.
        if model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().exists():
            raise MissingSetting(variable, "names a folder that does not exist")
    return ServerConfig(
        token=settings.gpu_server_token.get_secret_value(),
        generate_model=settings.gpu_generate_model or None,
        edit_model=settings.gpu_edit_model or None,
        share_encoders=settings.gpu_share_encoders,
        lora_dir=lora_dir,
        lora_cache=settings.gpu_lora_cache,
        max_batch=settings.gpu_max_batch,
        batch_window_s=settings.gpu_batch_window_ms / 1000,
        queue_size=settings.gpu_queue_size,
        compile=settings.gpu_compile,
        device=settings.gpu_device,
        image_area=settings.gpu_image_area,
        max_side=settings.gpu_max_side,
        generate_steps=settings.gpu_generate_steps,
        edit_steps=settings.gpu_edit_steps,
        generate_guidance=settings.gpu_generate_guidance,
        edit_guidance=settings.gpu_edit_guidance,
        max_sequence_length=settings.gpu_max_sequence_length,
        warmup=settings.gpu_warmup,
    )


def run_gpu_server(host: str | None, port: int | None) -> str | None:
    """Serve until stopped; the reason when the models could not be loaded, else None."""
    settings = GpuServerSettings()
    config = server_config(settings)
    try:
        import uvicorn

        from orchestrator.logs import configure_logging
        from orchestrator.serving import KEEP_ALIVE_S
        from providers.gpu_server.app import create_app
    except ImportError as exc:
        raise GpuExtraMissing(exc.name or str(exc)) from exc

    configure_logging("INFO", [config.token])
    failures: list[str] = []
    server: uvicorn.Server | None = None

    def on_fatal(reason: str) -> None:
        failures.append(reason)
        if server is not None:
            server.should_exit = True

    app = create_app(config, on_fatal=on_fatal)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or settings.gpu_server_host,
            port=port or settings.gpu_server_port,
            log_config=None,
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=30,
        )
    )
    server.run()
    return failures[0] if failures else None
