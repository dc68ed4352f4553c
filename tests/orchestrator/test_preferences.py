"""A user's language choice among their preferences: a tag or nothing ("automatic"),
bounded like every other value; a stored value that is no tag reads as no choice."""

from __future__ import annotations

import pytest

from orchestrator.catalog import Catalog
from orchestrator.preferences import load_preferences, save_preference
from state.memory import MemoryStateStore


@pytest.mark.parametrize("tag", ["de", "pt-br", "it"])
async def test_a_language_tag_is_kept_and_cleared(tag: str) -> None:
    store, catalog = MemoryStateStore(), Catalog.load()
    assert await save_preference(store, 7, "language", tag)
    assert (await load_preferences(store, catalog, 7)).language == tag
    assert await save_preference(store, 7, "language", None)
    assert (await load_preferences(store, catalog, 7)).language is None


@pytest.mark.parametrize("value", ["", "DE", "../en", "english", "pt_BR", "de-" + "x" * 9])
async def test_anything_but_a_tag_is_refused(value: str) -> None:
    store = MemoryStateStore()
    assert not await save_preference(store, 7, "language", value)
    assert await store.get_user_settings(7) == {}


async def test_a_stored_value_that_is_no_tag_reads_as_no_choice() -> None:
    store = MemoryStateStore()
    await store.set_user_settings(7, {"language": "<b>"})
    assert (await load_preferences(store, Catalog.load(), 7)).language is None
