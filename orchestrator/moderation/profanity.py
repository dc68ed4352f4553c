"""alt-profanity-check's model (TF-IDF + calibrated linear SVMs, MIT, shipped in its wheel).

scikit-learn's ``predict_proba`` spends ~3 ms per call validating its input, for a few
microseconds of arithmetic. The model is five linear SVMs, each followed by a sigmoid, and
averaged; ``ProfanityModel`` computes exactly that with one sparse product, and checks at
load time that it agrees with scikit-learn on sample texts (else it uses scikit-learn).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import structlog

log = structlog.get_logger(__name__)

# Texts whose probabilities must agree with scikit-learn's before the fast path is used.
_PARITY_TEXTS = (
    "a red fox in the snow",
    "you are a stupid idiot",
    "portrait of an old sailor, oil painting",
    "what the hell is this crap",
)
_PARITY_TOLERANCE = 1e-9


class ProfanityModel:
    """``probability(texts)``: P(offensive) for each text, between 0 and 1."""

    def __init__(self) -> None:
        # The pickles were made with the scikit-learn version that alt-profanity-check pins
        # exactly (==). Should another version ever be installed, scikit-learn warns
        # (InconsistentVersionWarning): we report that loudly instead of failing start-up
        # (pytest runs with warnings as errors) and rely on the parity check below.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from profanity_check import profanity_check

        for warning in caught:
            log.warning("moderation.profanity_model_warning", message=str(warning.message))
        self._vectorizer: Any = profanity_check.vectorizer
        self._model: Any = profanity_check.model
        self._weights, self._bias, self._slopes, self._offsets = self._linear_parts()
        self.fast = self._weights is not None and self._agrees_with_sklearn()

    def _linear_parts(self) -> tuple[Any, Any, Any, Any]:
        try:
            parts = self._model.calibrated_classifiers_
            if self._model.method != "sigmoid" or any(len(p.calibrators) != 1 for p in parts):
                return None, None, None, None
            weights = np.vstack([p.estimator.coef_.ravel() for p in parts]).T  # features x k
            bias = np.array([float(p.estimator.intercept_[0]) for p in parts])
            slopes = np.array([float(p.calibrators[0].a_) for p in parts])
            offsets = np.array([float(p.calibrators[0].b_) for p in parts])
        except (AttributeError, IndexError, TypeError, ValueError):
            return None, None, None, None
        return weights, bias, slopes, offsets

    def _fast(self, texts: list[str]) -> list[float]:
        scores = self._vectorizer.transform(texts) @ self._weights + self._bias  # texts x k
        # scikit-learn's _SigmoidCalibration: P = 1 / (1 + exp(a * score + b)); then the mean.
        probabilities = 1.0 / (1.0 + np.exp(scores * self._slopes + self._offsets))
        return [float(p) for p in probabilities.mean(axis=1)]

    def _sklearn(self, texts: list[str]) -> list[float]:
        proba = self._model.predict_proba(self._vectorizer.transform(texts))
        return [float(p) for p in proba[:, 1]]

    def _agrees_with_sklearn(self) -> bool:
        texts = list(_PARITY_TEXTS)
        fast, reference = self._fast(texts), self._sklearn(texts)
        agree = all(abs(a - b) <= _PARITY_TOLERANCE for a, b in zip(fast, reference, strict=True))
        if not agree:
            log.warning("moderation.profanity_fast_path_disabled", reason="differs from sklearn")
        return agree

    def probability(self, texts: list[str]) -> list[float]:
        if not texts:
            return []
        return self._fast(texts) if self.fast else self._sklearn(texts)
