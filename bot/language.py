"""The language a user is answered in: their ``/settings`` choice, else their Telegram
app's language (``language_code``), else English.

The choice is read once per update, before any handler runs (``TelegramFrontend``), and
kept for that update; every text sent while handling it uses ``language_of(update)``. A job keeps
the language it was admitted in (``Job.language``), so what a worker sends later (the
image, a failure, a refund) is in that language too. In a group each person is answered
in their own language: the update's sender is the one asking.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from telegram import Update

from bot import texts
from orchestrator.frontend import JobSubmitter
from state.errors import StateError

log = structlog.get_logger(__name__)

# (update id, language) of the update being handled in this task.
_current: ContextVar[tuple[int, str] | None] = ContextVar("answer_language", default=None)


def chosen_or_app(choice: str | None, language_code: str | None) -> str:
    """A choice that names an available language wins over the app's language."""
    if choice and choice in texts.available_languages():
        return choice
    return texts.pick_language(language_code)


def _app_language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


def with_choice(update: Update, choice: str | None) -> str:
    """The language ``update``'s sender is answered in once ``choice`` is theirs."""
    return chosen_or_app(choice, _app_language(update))


async def resolve(submitter: JobSubmitter, update: Update, sender_id: int | None) -> str:
    """The language to answer ``update`` in; without the state store, the app's."""
    choice = None
    if sender_id is not None:
        try:
            choice = (await submitter.preferences(sender_id)).language
        except StateError as exc:
            log.warning("language_choice_unread", error=repr(exc))
    return with_choice(update, choice)


@contextmanager
def answering(update: Update, language: str) -> Iterator[None]:
    """Every ``language_of(update)`` inside speaks ``language``."""
    token = _current.set((update.update_id, language))
    try:
        yield
    finally:
        _current.reset(token)


def language_of(update: Update) -> str:
    """The language ``update`` is answered in (resolved when handling began)."""
    current = _current.get()
    if current is not None and current[0] == update.update_id:
        return current[1]
    return texts.pick_language(_app_language(update))


def native_name(language: str) -> str:
    """A language's name in itself, as a button shows it: "Deutsch", "Português (Brasil)"."""
    name = texts.babel_locale(language).get_display_name() or language
    return name[:1].upper() + name[1:]
