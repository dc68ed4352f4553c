"""``examples/api_client.py`` runs the whole flow against a real ``fulmine serve`` process
with the fake backend, and saves the image."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path

from PIL import Image

from tests.api.processes import api_process

EXAMPLE = Path(__file__).parents[2] / "examples" / "api_client.py"


async def test_the_example_client_saves_the_image(tmp_path: Path) -> None:
    server = await api_process("serve", tmp_path, PAYMENTS_BACKEND="fake")
    try:
        main = runpy.run_path(str(EXAMPLE))["main"]
        out = tmp_path / "fox.png"
        code = await asyncio.to_thread(main, ["a red fox", "--url", server.url, "--out", str(out)])
        assert code == 0
        with Image.open(out) as image:
            assert image.format == "PNG"
        assert server.logged("job_delivered") == 1
    finally:
        await server.stop()
