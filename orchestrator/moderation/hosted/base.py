"""What a hosted moderation classifier is: one interface, whoever runs the model.

Contract of a ``HostedClassifier``:
- ``start()`` prepares the client (no call to the service is made); ``stop()`` closes it.
  Both are idempotent, and a stopped classifier starts again.
- ``classify(text)`` sends ``text`` as the user typed it and returns a ``HostedVerdict``
  in our categories. It raises ``HostedClassifierError`` (``outcome`` ``timeout``,
  ``unavailable`` or ``unreadable``) for every way of not getting a verdict: no answer
  within the configured time (one deadline for the whole call), no connection, a 429, a
  5xx or any other non-200 answer, or an answer that is not the protocol's. It never
  retries: the caller falls back to the local checks rather than keep a user waiting.
  Before ``start()`` (or after ``stop()``) it raises ``ModeratorNotStarted``.
- Nothing it logs or raises carries the text or the key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from orchestrator.moderation.models import Category


@dataclass(frozen=True)
class HostedVerdict:
    """A hosted classifier's answer, in our vocabulary.

    ``flagged``: it found something in one of our categories; ``category``: the most
    severe of those (``Category`` order), ``None`` when not flagged. ``score``: its score
    for that category, 0-1 (1.0 when the service gives a label without a score; the
    highest of any category when not flagged). ``labels``: the service's own names for
    what it found (``sexual/minors``, ``S4``), including ones we do not map, for logs and
    the decision's reason.
    """

    flagged: bool
    category: Category | None
    score: float
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.flagged and self.category is None:
            raise ValueError("a flagged verdict names its category")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError("a score is between 0 and 1")


class HostedClassifier(ABC):
    """A text classifier run by someone else (see the module docstring)."""

    name: str
    """What it is, for logs and reasons: ``openai``, ``llamaguard``."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def classify(self, text: str) -> HostedVerdict: ...
