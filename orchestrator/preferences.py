"""A user's defaults: the model per kind, the aspect ratio, the number of images and
prompt enhancement, kept in the state store's user settings (memory or Redis).

A request's own options win over these; these win over the catalog's defaults. A value
read back that no longer fits (a model dropped from the catalog, a ratio no longer
offered) is ignored, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.catalog import Catalog
from state.base import StateStore

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9", "9:21")
MAX_IMAGES = 4
MODEL_PREFIX = "model:"
KEYS = ("aspect_ratio", "num_images", "enhance")


@dataclass(frozen=True, slots=True)
class Preferences:
    models: dict[str, str] = field(default_factory=dict)  # kind -> model name
    aspect_ratio: str | None = None
    num_images: int | None = None
    enhance: bool = False

    def model_for(self, kind: str) -> str | None:
        return self.models.get(kind)


async def load_preferences(store: StateStore, catalog: Catalog, user_id: int) -> Preferences:
    """The user's defaults that still fit the catalog and the bounds."""
    saved = await store.get_user_settings(user_id)
    models = {}
    for key, name in saved.items():
        kind = key.removeprefix(MODEL_PREFIX)
        if key.startswith(MODEL_PREFIX) and name and catalog.pick(name, kind) is not None:
            models[kind] = name
    ratio = saved.get("aspect_ratio")
    number = saved.get("num_images", "")
    return Preferences(
        models=models,
        aspect_ratio=ratio if ratio in ASPECT_RATIOS else None,
        num_images=int(number)
        if number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_IMAGES
        else None,
        enhance=saved.get("enhance") == "on",
    )


async def save_model(store: StateStore, catalog: Catalog, user_id: int, name: str) -> bool:
    """Make ``name`` the user's default for its kind; False when it is not offered."""
    entry = catalog.get(name)
    if entry is None or not entry.enabled:
        return False
    await store.set_user_settings(user_id, {MODEL_PREFIX + entry.kind: entry.name})
    return True


async def save_preference(store: StateStore, user_id: int, key: str, value: str | None) -> bool:
    """Set (or, with None, clear) one of ``KEYS``; False for a value out of bounds."""
    if key not in KEYS:
        return False
    if value is not None:
        fits = {
            "aspect_ratio": value in ASPECT_RATIOS,
            "num_images": value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_IMAGES,
            "enhance": value in ("on", "off"),
        }[key]
        if not fits:
            return False
    await store.set_user_settings(user_id, {key: value or ""})
    return True
