"""The README shows the shipped catalog as it is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def test_the_readme_shows_the_shipped_catalog_verbatim() -> None:
    shipped = (resources.files("orchestrator.catalog") / "default.toml").read_text("utf-8")
    readme = (Path(__file__).parents[3] / "README.md").read_text("utf-8")
    assert f"```toml\n{shipped}```" in readme
