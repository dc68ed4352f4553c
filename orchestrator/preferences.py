"""A user's defaults: the model per kind, the aspect ratio, the number of images, prompt
enhancement and the language they are answered in, kept in the state store's user settings
(memory or Redis).

The language is a tag (``de``, ``pt-br``) or nothing for "automatic" (the app's own); which
languages exist is the front end's business, so here it is only checked to be a tag.

A request's own options win over these; these win over the catalog's defaults. A value
read back that no longer fits (a model dropped from the catalog, a ratio no longer
offered) is ignored, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator.catalog import Catalog
from state.base import StateStore

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9", "9:21")
MAX_IMAGES = 4
MODEL_PREFIX = "model:"
KEYS = ("aspect_ratio", "num_images", "enhance", "language")
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


@dataclass(frozen=True, slots=True)
class Preferences:
    models: dict[str, str] = field(default_factory=dict)  # kind -> model name
    aspect_ratio: str | None = None
    num_images: int | None = None
    enhance: bool = False
    language: str | None = None  # None: the language of the user's app

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
    language = saved.get("language", "")
    return Preferences(
        models=models,
        aspect_ratio=ratio if ratio in ASPECT_RATIOS else None,
        num_images=int(number)
        if number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_IMAGES
        else None,
        enhance=saved.get("enhance") == "on",
        language=language if LANGUAGE_TAG.fullmatch(language) else None,
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
            "language": LANGUAGE_TAG.fullmatch(value) is not None,
        }[key]
        if not fits:
            return False
    await store.set_user_settings(user_id, {key: value or ""})
    return True
