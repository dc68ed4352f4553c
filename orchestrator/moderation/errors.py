"""Errors of the moderation engine (failures) and its refusals, in the tree of
:mod:`fulmine.errors`."""

from __future__ import annotations

from fulmine.errors import Failure, Refusal


class ModerationError(Failure):
    """The checks themselves went wrong (not started, unreadable input, bad term list)."""


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


class HostedClassifierError(ModerationError):
    """The hosted classifier gave no verdict: ``outcome`` says why (``timeout``: no answer
    in time; ``unavailable``: no connection, a 429, a 5xx or another refusal of the call;
    ``unreadable``: an answer that is not the protocol's). The caller falls back to the
    local checks. ``detail`` names what went wrong, never the prompt or the key."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"hosted classifier {outcome}: {detail}")
        self.outcome = outcome
        self.detail = detail


class ModerationRefusal(Refusal):
    """A request or image moderation refused: the user is told why (briefly)."""


class UserBanned(ModerationRefusal):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} is banned")
        self.user_id = user_id


class UserThrottled(ModerationRefusal):
    """Too many blocks lately: no request is taken until ``retry_after_s`` has passed."""

    def __init__(self, user_id: int, retry_after_s: float) -> None:
        super().__init__(
            f"user {user_id} throttled for {retry_after_s:.0f} s after repeated blocks"
        )
        self.user_id = user_id
        self.retry_after_s = retry_after_s


class ContentBlocked(ModerationRefusal):
    """A check blocked content; ``category`` (a ``Category`` value) and ``score`` say why."""

    def __init__(self, what: str, category: str, score: float) -> None:
        super().__init__(f"{what} blocked: {category} ({score:.2f})")
        self.category = category
        self.score = score
        # Repeat blocks (``gate``): one more such block pauses the user for this long;
        # or this block has paused them, for this long. None: neither.
        self.pause_warning_s: float | None = None
        self.paused_for_s: float | None = None


class PromptBlocked(ContentBlocked):
    def __init__(self, category: str, score: float) -> None:
        super().__init__("prompt", category, score)


class InputImageBlocked(ContentBlocked):
    """The image to edit was blocked; the job fails before the provider is called."""

    def __init__(self, category: str, score: float) -> None:
        super().__init__("input image", category, score)


class OutputImagesBlocked(ContentBlocked):
    """Every image the provider made was blocked; the job fails and nothing is sent."""

    def __init__(self, category: str, score: float) -> None:
        super().__init__("every output image", category, score)
