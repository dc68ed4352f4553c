"""Llama Guard 3 behind an OpenAI-compatible chat completions endpoint (vLLM, Together,
an operator's own GPU box) as a ``HostedClassifier``.

Wire protocol: ``POST {base_url}/v1/chat/completions`` with the bearer key when one is
set and ``{"model": <MODERATION_HOSTED_MODEL>, "messages": [{"role": "user", "content":
text}], "max_tokens": 20, "temperature": 0}``. The server applies Llama Guard's chat
template (its safety instructions around the user turn); the model answers in
``choices[0].message.content`` with ``safe``, or ``unsafe`` and on the next line the
hazard codes, comma-separated (``unsafe\\nS1,S4``).

Llama Guard 3's hazards (MLCommons' taxonomy) in our categories (``HAZARDS``):
S1 violent crimes -> violence; S2 non-violent crimes and S9 indiscriminate weapons ->
illegal; S3 sex-related crimes and S12 sexual content -> sexual; S4 child sexual
exploitation -> minors; S5 defamation -> abuse (a picture made to defame a real person);
S10 hate -> hate; S11 suicide & self-harm -> self_harm. Ignored, as hazards of a text
answer rather than of a picture: S6 specialized advice, S7 privacy, S8 intellectual
property, S13 elections, S14 code interpreter abuse; an answer naming only those (or codes
a later model adds) is not flagged. ``unsafe`` without a code, or any other answer, is
unreadable (the local checks decide). Llama Guard gives no score: a flag scores 1.0.
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.moderation.errors import HostedClassifierError
from orchestrator.moderation.hosted.base import HostedVerdict
from orchestrator.moderation.hosted.http import UNREADABLE, HttpClassifier
from orchestrator.moderation.models import SEVERITY, Category

HAZARDS: dict[str, Category] = {
    "S1": Category.VIOLENCE,
    "S2": Category.ILLEGAL,
    "S3": Category.SEXUAL,
    "S4": Category.MINORS,
    "S5": Category.ABUSE,
    "S9": Category.ILLEGAL,
    "S10": Category.HATE,
    "S11": Category.SELF_HARM,
    "S12": Category.SEXUAL,
}
IGNORED_HAZARDS = frozenset({"S6", "S7", "S8", "S13", "S14"})
MAX_TOKENS = 20  # "unsafe" and a few codes; Llama Guard says nothing else
_CODE = re.compile(r"S[0-9]{1,2}")


class LlamaGuard(HttpClassifier):
    name = "llamaguard"
    path = "/v1/chat/completions"

    def body(self, text: str) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
        }

    def verdict(self, payload: Any) -> HostedVerdict:
        lines = [line.strip() for line in _content(payload).splitlines() if line.strip()]
        head = lines[0].lower() if lines else ""
        if head == "safe":
            return HostedVerdict(False, None, 0.0)
        if head != "unsafe":
            raise HostedClassifierError(UNREADABLE, "the answer is neither safe nor unsafe")
        codes = [code.strip().upper() for code in lines[1].split(",")] if len(lines) > 1 else []
        if not codes or not all(_CODE.fullmatch(code) for code in codes):
            raise HostedClassifierError(UNREADABLE, "unsafe without hazard codes")
        found = {HAZARDS[code] for code in codes if code in HAZARDS}
        labels = tuple(codes)
        if not found:
            return HostedVerdict(False, None, 0.0, labels)
        return HostedVerdict(True, next(c for c in SEVERITY if c in found), 1.0, labels)


def _content(payload: Any) -> str:
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            content: str = message["content"]
            return content
    raise HostedClassifierError(UNREADABLE, "the answer has no message content")
