"""Moderation: prompt and image checks that run offline on CPU.

``Moderator`` (service.py) is the component; ``Decision`` (models.py) what it returns.
"""

from orchestrator.moderation.errors import ModerationError, ModeratorNotStarted, UnreadableImage
from orchestrator.moderation.models import Category, Check, Decision, Policy
from orchestrator.moderation.service import Moderator

__all__ = [
    "Category",
    "Check",
    "Decision",
    "ModerationError",
    "Moderator",
    "ModeratorNotStarted",
    "Policy",
    "UnreadableImage",
]
