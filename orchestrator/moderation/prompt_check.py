"""The prompt check: normalised text against the term lists, the minors rule, and the
profanity model for abuse. Synchronous and CPU-bound: ``Moderator`` runs it in its pool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.moderation.models import SEVERITY, Category, Check, Decision, Policy
from orchestrator.moderation.normalize import normalize
from orchestrator.moderation.profanity import ProfanityModel
from orchestrator.moderation.readings import for_english_model
from orchestrator.moderation.terms import TermLists, TermMatch


@dataclass(frozen=True)
class PromptThresholds:
    """Per-category thresholds of the standard policy; strict multiplies the term
    categories' by ``strict_factor`` (so suggestive terms block), but not abuse's: below
    0.9 the profanity model's scores on safe prompts are noise (README, "Moderation").
    ``off`` has none: only the minors rule applies."""

    standard: Mapping[Category, float]
    strict_factor: float

    def for_policy(self, policy: Policy) -> dict[Category, float] | None:
        if policy is Policy.OFF:
            return None
        if policy is Policy.STANDARD:
            return dict(self.standard)
        return {
            category: value if category is Category.ABUSE else value * self.strict_factor
            for category, value in self.standard.items()
        }


def _quoted(terms: list[str]) -> str:
    return ", ".join(f"'{term}'" for term in terms)


class PromptChecker:
    """``check(text, policy)`` → ``Decision``.

    The minors rule holds under every policy, ``off`` included, and has no threshold: a
    prompt with any sexual term (any weight) and any minors term is blocked, and so is a
    minors term whose own weight reaches the minors threshold (names of abuse material).
    Otherwise a category blocks when its score reaches its threshold: its matched terms'
    weights combined as independent evidence (1 - Π(1 - w)), or for ``abuse`` the
    profanity model's probability. Several
    blocking categories: the most severe (``Category`` order) is reported.
    """

    def __init__(
        self,
        terms: TermLists,
        profanity: ProfanityModel | None,
        thresholds: PromptThresholds,
    ) -> None:
        self.terms = terms
        self.profanity = profanity
        self.thresholds = thresholds
        self.checks: tuple[Check, ...] = (Check.TERMS, Check.MINORS_RULE) + (
            (Check.PROFANITY_MODEL,) if profanity is not None else ()
        )

    def scores(self, text: str) -> tuple[dict[Category, float], list[TermMatch]]:
        """Each category's score for ``text`` and the terms that matched."""
        normalized = normalize(text)
        matches = self.terms.match(normalized)
        # Terms of one category add up as independent evidence (noisy-OR): "corpse" (0.7)
        # or "bloody" (0.4) alone stays below 0.8, "bloody corpse" reaches 0.82.
        unlikely = dict.fromkeys(Category, 1.0)
        for match in matches:
            unlikely[match.category] *= 1.0 - match.weight
        scores = {category: round(1.0 - unlikely[category], 6) for category in Category}
        if self.profanity is not None:
            # Allow-listed phrases are hidden from the model too ("breast stroke"), and so
            # are words of other scripts read by their sound. The abuse lists (insults in
            # other languages than the model's English) add to it.
            texts = [
                for_english_model(self.terms.mask_allowed(variant))
                for variant in normalized.english
            ]
            model = max(self.profanity.probability(texts), default=0.0)
            if model >= scores[Category.ABUSE]:  # the model's verdict names no terms
                scores[Category.ABUSE] = model
                matches = [match for match in matches if match.category is not Category.ABUSE]
        return scores, matches

    def check(self, text: str, policy: Policy) -> Decision:
        scores, matches = self.scores(text)
        named = {
            category: sorted(m.term for m in matches if m.category is category)
            for category in Category
        }
        minors_threshold = self.thresholds.standard[Category.MINORS]
        if named[Category.SEXUAL] and named[Category.MINORS]:
            return Decision(
                allowed=False,
                category=Category.MINORS,
                score=1.0,
                reason=f"minors rule: sexual {_quoted(named[Category.SEXUAL])} "
                f"with minor {_quoted(named[Category.MINORS])}",
                matched=(*named[Category.SEXUAL], *named[Category.MINORS]),
                checks=self.checks,
                policy=policy,
            )
        if scores[Category.MINORS] >= minors_threshold:
            return Decision(
                allowed=False,
                category=Category.MINORS,
                score=scores[Category.MINORS],
                threshold=minors_threshold,
                reason=f"minors rule: {_quoted(named[Category.MINORS])}",
                matched=tuple(named[Category.MINORS]),
                checks=self.checks,
                policy=policy,
            )
        thresholds = self.thresholds.for_policy(policy)
        if thresholds is not None:
            for category in SEVERITY:
                score = scores[category]
                if score > 0.0 and score >= thresholds[category]:
                    return Decision(
                        allowed=False,
                        category=category,
                        score=score,
                        threshold=thresholds[category],
                        reason=self._reason(category, named[category], score),
                        matched=tuple(named[category]),
                        checks=self.checks,
                        policy=policy,
                    )
        top = max(SEVERITY, key=lambda category: scores[category])
        if scores[top] == 0.0:
            return Decision(
                allowed=True, reason="nothing matched", checks=self.checks, policy=policy
            )
        return Decision(
            allowed=True,
            category=top,
            score=scores[top],
            threshold=thresholds[top] if thresholds is not None else None,
            reason="policy off: only the minors rule applies"
            if thresholds is None
            else "below every threshold",
            matched=tuple(sorted(m.term for m in matches)),
            checks=self.checks,
            policy=policy,
        )

    @staticmethod
    def _reason(category: Category, terms: list[str], score: float) -> str:
        if category is Category.ABUSE and not terms:
            return f"profanity model: {score:.2f}"
        return f"matched {_quoted(terms)}"
