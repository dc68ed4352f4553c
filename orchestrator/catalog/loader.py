"""The model catalog: read from a TOML file (the shipped ``default.toml`` unless
``CATALOG_FILE`` names another), checked whole at start-up.

A bad file stops start-up with one :class:`CatalogError` whose message names the file, the
model and the field, e.g. ``models.toml: model 'flux-dev', field 'price_sats': Input
should be greater than or equal to 1``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from orchestrator.catalog.models import KINDS, CatalogEntry

DEFAULT_FILE = "default.toml"
MAX_FILE_BYTES = 1024 * 1024
MAX_ENTRIES = 200


class CatalogError(ValueError):
    """The catalog file cannot be used: ``source`` (the file), ``model`` and ``field``
    say where, ``problem`` what."""

    def __init__(
        self, source: str, problem: str, model: str | None = None, field: str | None = None
    ) -> None:
        where = [source]
        if model is not None:
            where.append(f"model {model!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {problem}")
        self.source = source
        self.model = model
        self.field = field
        self.problem = problem


class Catalog:
    """The models users can pick, in file order. Look-ups never raise for an unknown name:
    ``get`` answers None and the caller decides what to say."""

    def __init__(self, entries: Iterable[CatalogEntry], source: str = "<catalog>") -> None:
        self.source = source
        self._entries = {entry.name: entry for entry in entries}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """The file at ``path``, or the shipped default when None."""
        if path is None:
            text = (resources.files("orchestrator.catalog") / DEFAULT_FILE).read_text("utf-8")
            return cls.from_toml(text, DEFAULT_FILE)
        file = Path(path)
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise CatalogError(file.name, f"is larger than {MAX_FILE_BYTES} bytes")
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(str(file), f"cannot be read ({type(exc).__name__})") from exc
        return cls.from_toml(text, file.name)

    @classmethod
    def from_toml(cls, text: str, source: str = "<catalog>") -> Catalog:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(source, f"is not valid TOML ({exc})") from exc
        unknown = sorted(set(document) - {"models"})
        if unknown:
            raise CatalogError(source, f"unknown table {unknown[0]!r} (only [models.<name>])")
        tables = document.get("models")
        if not isinstance(tables, dict) or not tables:
            raise CatalogError(source, "declares no models ([models.<name>] tables)")
        if len(tables) > MAX_ENTRIES:
            raise CatalogError(source, f"declares more than {MAX_ENTRIES} models")
        entries = [_entry(source, name, table) for name, table in tables.items()]
        for kind in KINDS:
            defaults = [entry.name for entry in entries if entry.kind == kind and entry.default]
            if len(defaults) > 1:
                raise CatalogError(
                    source, f"more than one default {kind} model", defaults[1], "default"
                )
        return cls(entries, source)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str) -> CatalogEntry | None:
        """The entry called ``name`` (case-insensitive), enabled or not."""
        return self._entries.get(name.strip().lower())

    def visible(self, kind: str | None = None) -> list[CatalogEntry]:
        """The enabled entries (of ``kind``), in file order: what users may pick."""
        return [e for e in self._entries.values() if e.enabled and kind in (None, e.kind)]

    def default_for(self, kind: str) -> CatalogEntry | None:
        """The enabled entry marked default for ``kind``, else its first enabled one."""
        offered = self.visible(kind)
        return next((e for e in offered if e.default), offered[0] if offered else None)

    def pick(self, name: str | None, kind: str) -> CatalogEntry | None:
        """The entry a request for ``kind`` gets: ``name`` when it is an enabled ``kind``
        model, the kind's default when ``name`` is None, else None."""
        if name is None:
            return self.default_for(kind)
        entry = self.get(name)
        return entry if entry is not None and entry.enabled and entry.kind == kind else None

    def price_for(self, name: str, images: int = 1) -> int:
        """The price of ``images`` images of model ``name``; KeyError when there is none."""
        entry = self.get(name)
        if entry is None:
            raise KeyError(name)
        return entry.price_sats * images

    def replaced(self, entries: Iterable[CatalogEntry]) -> Catalog:
        """A copy with these entries put in place of those of the same name."""
        updated = dict(self._entries)
        for entry in entries:
            updated[entry.name] = entry
        return Catalog(updated.values(), self.source)


def _entry(source: str, name: str, table: Any) -> CatalogEntry:
    if not isinstance(table, dict):
        raise CatalogError(source, "must be a table", name)
    try:
        return CatalogEntry.model_validate({**table, "name": name})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        problem = error["msg"].removeprefix("Value error, ")
        raise CatalogError(source, problem, name, field) from None
