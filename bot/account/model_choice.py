"""Words for a model choice the orchestrator refused (``--model``, ``--lora``)."""

from __future__ import annotations

from bot import texts
from bot.intake.user_input import quoted
from orchestrator.catalog.errors import UnknownLora, UnknownModel


def choice_refusal_text(refusal: UnknownModel | UnknownLora, language: str | None) -> str:
    """A short answer naming what exists instead."""
    if isinstance(refusal, UnknownModel):
        if not refusal.offered:
            return texts.text("model_unknown_none", language, kind=refusal.kind)
        return texts.text(
            "model_unknown",
            language,
            kind=refusal.kind,
            name=quoted(refusal.name),
            offered=", ".join(refusal.offered),
        )
    if not refusal.allowed:
        return texts.text("lora_unknown_none", language, model=refusal.model)
    return texts.text(
        "lora_unknown",
        language,
        model=refusal.model,
        name=quoted(refusal.name),
        allowed=", ".join(refusal.allowed),
    )
