"""``fulmine serve`` processes running the HTTP API front end, for tests that restart
them or run a client against a real server.

The API front end is found like every front end, by its ``fulmine.frontends`` entry point.
The processes import this checkout's code (``PYTHONPATH``) and also see a distribution
made here that registers just that entry point, so they find the front end whether or not
the installed metadata already lists it (a checkout newer than its installation).
"""

from __future__ import annotations

from pathlib import Path

from tests.processes import Fulmine, fulmine_env

REPO_ROOT = Path(__file__).resolve().parents[2]


def entry_point_path(folder: Path) -> Path:
    """A folder holding a distribution that registers the API front end."""
    dist = folder / "fulmine_api_frontend-0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fulmine-api-frontend\nVersion: 0\n"
    )
    (dist / "entry_points.txt").write_text("[fulmine.frontends]\napi = api.frontend:ApiFrontend\n")
    return folder


def api_env(workdir: Path, **values: str) -> dict[str, str]:
    """The environment of an API-only ``fulmine`` process (no Bot API needed)."""
    shim = entry_point_path(workdir / "entry-points")
    return fulmine_env(
        "http://127.0.0.1:9",  # never called: the Telegram front end is not run
        PYTHONPATH=f"{REPO_ROOT}:{shim}",
        FRONTENDS="api",
        IMAGE_STORE_PATH=str(workdir / "images"),
        **values,
    )


async def api_process(name: str, workdir: Path, *args: str, **values: str) -> Fulmine:
    """A started ``fulmine <args>`` (``serve`` when none are given)."""
    process = Fulmine(name, list(args) or ["serve"], api_env(workdir, **values), workdir)
    await process.start()
    return process
