"""The hosted classifier combined with the local checks' decision on a prompt.

``HostedLayer.review(text, local)``:
- The local decision comes first: when it blocks, it stands and no call is made (so the
  minors rule stays absolute and costs nothing).
- Otherwise the hosted classifier is asked. A flag blocks with the hosted category and
  score, ``threshold`` ``None`` (the service's own), and ``Check.HOSTED`` among the
  checks; under policy ``off`` only a ``minors`` flag blocks (``off`` is the minors rule
  only, whoever finds it). A clean verdict passes the local decision on, with
  ``Check.HOSTED`` added.
- No verdict (``HostedClassifierError``: timeout, outage, unreadable answer) is a warning
  (``moderation.hosted_failed``, never the prompt or the key) and the local decision as it
  was, without ``Check.HOSTED``: a request is never refused for our provider's outage.
- Every call is counted in ``fulmine_moderation_hosted_total{outcome}`` and timed.
  Verdicts are cached (LRU of ``MODERATION_HOSTED_CACHE`` entries, by SHA-256 of the
  normalised text), so a repeated prompt costs one call; no verdict is never cached.

The cache key folds only what cannot change a verdict (Unicode compatibility forms, case,
runs of white space), not the term lists' heavier normalisation: the service judges the
text as typed, and an evasive spelling it misses must not lend its "clean" to the plain one.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata

import structlog
from cachetools import LRUCache

from orchestrator.moderation.errors import HostedClassifierError
from orchestrator.moderation.hosted.base import HostedClassifier, HostedVerdict
from orchestrator.moderation.models import Category, Check, Decision, Policy
from orchestrator.serving.metrics import (
    MODERATION_HOSTED,
    MODERATION_HOSTED_CACHED,
    MODERATION_HOSTED_LATENCY,
)

log = structlog.get_logger(__name__)
_SPACES = re.compile(r"\s+")


def cache_key(text: str) -> str:
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(folded.encode()).hexdigest()


class HostedLayer:
    def __init__(self, classifier: HostedClassifier, cache_entries: int) -> None:
        self.classifier = classifier
        self._cache: LRUCache[str, HostedVerdict] | None = (
            LRUCache(maxsize=cache_entries) if cache_entries > 0 else None
        )

    async def start(self) -> None:
        await self.classifier.start()

    async def stop(self) -> None:
        await self.classifier.stop()

    async def review(self, text: str, local: Decision) -> Decision:
        if not local.allowed:
            return local
        verdict = await self.verdict(text)
        if verdict is None:
            return local
        checks = (*local.checks, Check.HOSTED)
        blocks = verdict.flagged and (
            local.policy is not Policy.OFF or verdict.category is Category.MINORS
        )
        if not blocks:
            return local.model_copy(update={"checks": checks})
        return Decision(
            allowed=False,
            category=verdict.category,
            score=verdict.score,
            threshold=None,
            reason=f"hosted classifier ({self.classifier.name}): {', '.join(verdict.labels)}",
            checks=checks,
            policy=local.policy,
        )

    async def verdict(self, text: str) -> HostedVerdict | None:
        """The classifier's verdict on ``text``, from the cache when it has one; ``None``
        when there is none (logged and counted)."""
        key = cache_key(text)
        if self._cache is not None and (cached := self._cache.get(key)) is not None:
            MODERATION_HOSTED_CACHED.inc()
            return cached
        started = time.perf_counter()
        try:
            verdict = await self.classifier.classify(text)
        except HostedClassifierError as exc:
            MODERATION_HOSTED.labels(outcome=exc.outcome).inc()
            log.warning(
                "moderation.hosted_failed",
                classifier=self.classifier.name,
                outcome=exc.outcome,
                detail=exc.detail,
                consequence="the local checks decide alone",
            )
            return None
        finally:
            MODERATION_HOSTED_LATENCY.observe(time.perf_counter() - started)
        MODERATION_HOSTED.labels(outcome="flagged" if verdict.flagged else "ok").inc()
        if self._cache is not None:
            self._cache[key] = verdict
        return verdict
