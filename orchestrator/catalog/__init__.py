"""The model catalog: which models users can pick, how each is run and what it costs.

``Catalog.load(path)`` reads a TOML file (``default.toml`` here is the shipped one);
``catalog.get(name)``, ``catalog.default_for(kind)``, ``catalog.visible()`` and
``catalog.price_for(name, images)`` answer the rest. Platform-neutral: every front end
lists and prices models from the same catalog.
"""

from orchestrator.catalog.loader import Catalog, CatalogError
from orchestrator.catalog.models import KINDS, CatalogEntry, Kind, LoraSpec

__all__ = ["KINDS", "Catalog", "CatalogEntry", "CatalogError", "Kind", "LoraSpec"]
