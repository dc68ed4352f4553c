"""Bot API work for the tests: the full specification and a checker of objects against it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_ENV = "FULMINE_BOT_API_SPEC"
SPEC_RELATIVE = Path("shared/telegram/bot-api.json")
ARRAY = "Array of "


def locate_full_spec() -> Path:
    """$FULMINE_BOT_API_SPEC, else shared/telegram/bot-api.json in the repo or above it."""
    if os.environ.get(SPEC_ENV):
        return Path(os.environ[SPEC_ENV])
    for folder in (REPO_ROOT, *REPO_ROOT.parents):
        if (folder / SPEC_RELATIVE).is_file():
            return folder / SPEC_RELATIVE
    pytest.fail(
        f"the Bot API specification was not found: set {SPEC_ENV} or put it at "
        f"../{SPEC_RELATIVE} next to the repository ({REPO_ROOT})"
    )


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def full_spec() -> dict[str, Any]:
    """The whole machine-readable Bot API specification (never skipped: fails if absent)."""
    return _load(locate_full_spec())


class SpecChecker:
    """Checks JSON against the specification the way a strict client would read it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.types: dict[str, Any] = spec["types"]
        self.methods: dict[str, Any] = spec["methods"]

    def problems(self, value: Any, types: Sequence[str], path: str = "$") -> list[str]:
        """Empty when ``value`` is one of ``types`` (the spec's alternatives)."""
        found: list[str] = []
        for type_expr in types:
            attempt = self._one(value, type_expr, path)
            if not attempt:
                return []
            found = found or attempt
        return found

    def _one(self, value: Any, type_expr: str, path: str) -> list[str]:
        if type_expr.startswith(ARRAY):
            if not isinstance(value, list):
                return [f"{path}: expected {type_expr}, got {type(value).__name__}"]
            inner = [type_expr[len(ARRAY) :]]
            return [
                p
                for i, item in enumerate(value)
                for p in self.problems(item, inner, f"{path}[{i}]")
            ]
        scalar_checks: dict[str, Callable[[Any], bool]] = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
            "String": lambda v: isinstance(v, str),
        }
        if type_expr in scalar_checks:
            ok = scalar_checks[type_expr](value)
            return [] if ok else [f"{path}: expected {type_expr}, got {value!r}"]
        entry = self.types.get(type_expr)
        if entry is None or type_expr == "InputFile":
            return [f"{path}: {type_expr} cannot appear in a response"]
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_expr} object, got {type(value).__name__}"]
        if "subtypes" in entry:
            return self.problems(value, entry["subtypes"], path)
        fields = {field["name"]: field for field in entry.get("fields", [])}
        found = [f"{path}: {type_expr} has no field {key}" for key in value if key not in fields]
        for name, field in fields.items():
            if name in value:
                found += self.problems(value[name], field["types"], f"{path}.{name}")
            elif field["required"]:
                found.append(f"{path}: {type_expr} lacks required field {name}")
        return found

    def check_result(self, method: str, result: Any) -> list[str]:
        return self.problems(result, self.methods[method]["returns"], f"{method}()")


@pytest.fixture
def spec_checker(full_spec: dict[str, Any]) -> SpecChecker:
    return SpecChecker(full_spec)
