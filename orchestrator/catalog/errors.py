"""Refusals of a request's model choice (see the tree in ``fulmine.errors``)."""

from __future__ import annotations

from fulmine.errors import InvalidInput


class UnknownModel(InvalidInput):
    """``name`` is no model of ``kind`` that is offered now; ``offered`` lists those that are."""

    def __init__(self, name: str, kind: str, offered: list[str]) -> None:
        super().__init__("catalog", f"no {kind} model {name[:40]!r}")
        self.name = name
        self.kind = kind
        self.offered = offered


class UnknownLora(InvalidInput):
    """``name`` is not one of ``model``'s LoRAs; ``allowed`` lists them (maybe none)."""

    def __init__(self, name: str, model: str, allowed: list[str]) -> None:
        super().__init__("catalog", f"model {model!r} has no LoRA {name[:40]!r}")
        self.name = name
        self.model = model
        self.allowed = allowed
