"""What a moderation check returns, and the vocabulary it uses (categories, policies)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Category(StrEnum):
    """Why something is blocked. Listed from most to least severe: when several
    categories block, the decision names the first of them in this order."""

    MINORS = "minors"
    SEXUAL = "sexual"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    HATE = "hate"
    ILLEGAL = "illegal"
    ABUSE = "abuse"


SEVERITY: tuple[Category, ...] = tuple(Category)
TERM_CATEGORIES: tuple[Category, ...] = (
    Category.SEXUAL,
    Category.MINORS,
    Category.VIOLENCE,
    Category.HATE,
    Category.SELF_HARM,
    Category.ILLEGAL,
)

# Block when a category's score reaches its threshold (standard policy; strict multiplies
# all but abuse's by MODERATION_STRICT_FACTOR). Term weights are 1.0 (explicit) or lower
# (suggestive, ambiguous), so 0.8 blocks explicit terms, or weaker ones together; abuse is
# alt-profanity-check's probability: above 0.9 for insults and swearing, up to 0.75 on
# safe prompts (README "Moderation").
DEFAULT_THRESHOLDS: dict[Category, float] = {
    Category.MINORS: 0.8,
    Category.SEXUAL: 0.8,
    Category.SELF_HARM: 0.8,
    Category.VIOLENCE: 0.8,
    Category.HATE: 0.8,
    Category.ILLEGAL: 0.8,
    Category.ABUSE: 0.9,
}


class Policy(StrEnum):
    """How strict a chat is. ``off``: only the minors rule applies to prompts and images
    are not checked; ``standard``: thresholds as set; ``strict``: lower thresholds."""

    OFF = "off"
    STANDARD = "standard"
    STRICT = "strict"


class Check(StrEnum):
    """The checks a decision can report as having run."""

    TERMS = "terms"
    MINORS_RULE = "minors_rule"
    PROFANITY_MODEL = "profanity_model"
    IMAGE_MODEL = "image_model"
    HOSTED = "hosted"  # the operator's hosted classifier (MODERATION_HOSTED) gave a verdict


class Decision(BaseModel):
    """The outcome of one check.

    ``category`` and ``score``: the category that blocked, or, when allowed, the
    highest-scoring one (``None`` and 0.0 when nothing scored). ``threshold``: the one
    ``score`` was compared with (``None`` for the minors rule, which has none, for a block
    by the hosted classifier, which applies its own, and when nothing scored).
    ``matched``: the normalised terms that matched. ``checks``: what ran; an empty tuple
    means nothing was checked (policy off, or the model is unavailable).
    """

    model_config = ConfigDict(frozen=True)

    allowed: bool
    category: Category | None = None
    score: float = Field(default=0.0, ge=0.0, le=1.0)
    threshold: float | None = None
    reason: str
    matched: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    policy: Policy
