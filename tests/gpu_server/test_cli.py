"""``fulmine gpu-server`` as an operator meets it when something is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gpu_server.support import TOKEN

BLOCK_TORCH = (
    "import sys; sys.modules['torch'] = None; "
    "from orchestrator.cli import main; raise SystemExit(main(['gpu-server']))"
)


def _run(arguments: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        arguments, env={**keep, **env}, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_without_the_gpu_extra_it_says_what_to_install(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    result = _run(
        [sys.executable, "-c", BLOCK_TORCH], tmp_path, GPU_SERVER_TOKEN=TOKEN, PYTHONPATH=str(root)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "fulmine: fulmine gpu-server needs the gpu extra (missing: torch): "
        "pip install 'fulmine[gpu]'"
    ]


def test_without_a_token_it_refuses_to_start(tmp_path: Path) -> None:
    fulmine = str(Path(sys.executable).with_name("fulmine"))
    result = _run([fulmine, "gpu-server"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "fulmine: configuration error: GPU_SERVER_TOKEN is required to run the GPU server"
    )
    short = _run([fulmine, "gpu-server"], tmp_path, GPU_SERVER_TOKEN="short")
    assert short.returncode == 2
    assert "GPU_SERVER_TOKEN must be at least 16 characters" in short.stderr
    assert "short" not in short.stderr.replace("GPU_SERVER_TOKEN", "")


def test_a_model_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    fulmine = str(Path(sys.executable).with_name("fulmine"))
    result = _run(
        [fulmine, "gpu-server"],
        tmp_path,
        GPU_SERVER_TOKEN=TOKEN,
        GPU_EDIT_MODEL=str(tmp_path / "no-such-model"),
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "fulmine: configuration error: GPU_EDIT_MODEL names a folder that does not exist"
    )
