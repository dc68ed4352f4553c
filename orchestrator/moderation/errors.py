"""Errors of the moderation engine."""

from __future__ import annotations


class ModerationError(Exception):
    """Base of every moderation error."""


class ModeratorNotStarted(ModerationError):
    """A check was asked for before ``Moderator.start()`` finished (or after ``stop()``)."""

    def __init__(self) -> None:
        super().__init__("the moderator is not started")


class UnreadableImage(ModerationError):
    """The bytes given to the image check are not an image the model can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unreadable image: {reason}")
        self.reason = reason


class TermListError(ModerationError):
    """A term list file is malformed; ``path`` and ``line`` say where."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason
