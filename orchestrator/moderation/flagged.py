"""How a chat handles output images the image check flags: block, spoiler or allow.

The operator's ``MODERATION_FLAGGED_IMAGES`` holds in private chats (and for every job not
asked in a group: inline, the HTTP API, the Mini App). A group's admins may choose their
group's handling, from ``block`` up to ``MODERATION_GROUP_FLAGGED_IMAGES_MAX``; a group that
chose nothing has the operator's default, itself never above that bound. A choice kept
from before the operator lowered the bound is read as the bound.

A group's choice is kept with the state store's per-id settings under the group's id
(negative: never a user's), key ``flagged_images``. Only the image check's own verdict is
softened: an image nothing could look at (the model unavailable under strict) is blocked
whatever the chat chose, as is every prompt and every image sent to be edited.
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.settings import Settings
from state.base import StateStore

CHAT_KEY = "flagged_images"


class Flagged(StrEnum):
    """From the safest to the most permissive."""

    BLOCK = "block"
    SPOILER = "spoiler"
    ALLOW = "allow"


ORDER = tuple(Flagged)


def is_group(chat_type: str | None) -> bool:
    return chat_type in ("group", "supergroup")


def group_choices(settings: Settings) -> tuple[Flagged, ...]:
    """What a group's admins may choose, safest first."""
    bound = ORDER.index(Flagged(settings.moderation_group_flagged_images_max))
    return ORDER[: bound + 1]


def _bounded(handling: Flagged, settings: Settings) -> Flagged:
    choices = group_choices(settings)
    return handling if handling in choices else choices[-1]


async def chat_handling(
    store: StateStore | None, settings: Settings, chat_id: int, chat_type: str | None
) -> Flagged:
    """How flagged images are handled in the chat (for a group: what its admins chose)."""
    default = Flagged(settings.moderation_flagged_images)
    if not is_group(chat_type):
        return default
    chosen = (await store.get_user_settings(chat_id)).get(CHAT_KEY) if store else None
    if chosen in ORDER:
        return _bounded(Flagged(chosen), settings)
    return _bounded(default, settings)


async def choose(store: StateStore, settings: Settings, chat_id: int, value: str) -> bool:
    """Keep a group's choice; False (nothing kept) for one that is unknown or beyond the
    operator's bound. Whether the chooser may is the front end's to check."""
    if value not in ORDER or Flagged(value) not in group_choices(settings):
        return False
    await store.set_user_settings(chat_id, {CHAT_KEY: value})
    return True
