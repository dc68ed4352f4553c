"""OpenAI's moderation endpoint as a ``HostedClassifier``.

Wire protocol: ``POST {base_url}/v1/moderations`` with ``Authorization: Bearer <key>`` and
``{"model": "omni-moderation-latest", "input": text}``; the answer is
``{"id", "model", "results": [{"flagged", "categories": {name: bool},
"category_scores": {name: float}, ...}]}``, one result per input. ``flagged`` is OpenAI's
own judgement (its thresholds); we take it as it is under every policy.

OpenAI's categories in ours (``OPENAI_CATEGORIES``): ``sexual/minors`` is ``minors``,
``harassment*`` is ``abuse``, ``illicit*`` is ``illegal``, the others by name. A name we do
not know (a category OpenAI adds later) is kept in the labels but flags nothing; when
OpenAI flags only such names, the verdict is not flagged.
"""

from __future__ import annotations

from typing import Any

from orchestrator.moderation.errors import HostedClassifierError
from orchestrator.moderation.hosted.base import HostedVerdict
from orchestrator.moderation.hosted.http import UNREADABLE, HttpClassifier
from orchestrator.moderation.models import SEVERITY, Category

OPENAI_CATEGORIES: dict[str, Category] = {
    "sexual": Category.SEXUAL,
    "sexual/minors": Category.MINORS,
    "harassment": Category.ABUSE,
    "harassment/threatening": Category.ABUSE,
    "hate": Category.HATE,
    "hate/threatening": Category.HATE,
    "illicit": Category.ILLEGAL,
    "illicit/violent": Category.ILLEGAL,
    "self-harm": Category.SELF_HARM,
    "self-harm/intent": Category.SELF_HARM,
    "self-harm/instructions": Category.SELF_HARM,
    "violence": Category.VIOLENCE,
    "violence/graphic": Category.VIOLENCE,
}


class OpenAIModeration(HttpClassifier):
    name = "openai"
    path = "/v1/moderations"

    def body(self, text: str) -> dict[str, Any]:
        return {"model": self.model, "input": text}

    def verdict(self, payload: Any) -> HostedVerdict:
        result = _first_result(payload)
        flagged, categories, scores = (
            result.get("flagged"),
            result.get("categories"),
            result.get("category_scores"),
        )
        if not isinstance(flagged, bool) or not isinstance(categories, dict):
            raise HostedClassifierError(UNREADABLE, "a result lacks flagged or categories")
        if not isinstance(scores, dict) or not all(
            isinstance(value, int | float) and not isinstance(value, bool)
            for value in scores.values()
        ):
            raise HostedClassifierError(UNREADABLE, "category_scores are not numbers")
        ours: dict[Category, float] = {}
        for name, value in scores.items():
            category = OPENAI_CATEGORIES.get(name)
            if category is not None:
                ours[category] = max(ours.get(category, 0.0), min(max(float(value), 0.0), 1.0))
        labels = tuple(sorted(name for name, on in categories.items() if on is True))
        found = {OPENAI_CATEGORIES[name] for name in labels if name in OPENAI_CATEGORIES}
        if flagged and found:
            category = next(c for c in SEVERITY if c in found)
            return HostedVerdict(True, category, ours.get(category, 1.0), labels)
        return HostedVerdict(False, None, max(ours.values(), default=0.0), labels)


def _first_result(payload: Any) -> dict[str, Any]:
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise HostedClassifierError(UNREADABLE, "the answer has no results")
    result: dict[str, Any] = results[0]
    return result
