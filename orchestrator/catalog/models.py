"""The catalog's records: one :class:`CatalogEntry` per model, checked by pydantic.

Plain, frozen data. What the TOML file may hold is described in the shipped
``default.toml``; a value that does not fit is refused with the model and field named
(see ``orchestrator.catalog.loader``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["generate", "edit", "upscale"]
KINDS: tuple[Kind, ...] = ("generate", "edit", "upscale")
PROVIDER_NAMES = ("replicate", "fal", "gpu", "placeholder")
# Providers that run a model named by the catalog; the others bring their own.
NAMED_MODELS = frozenset({"replicate", "fal"})
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,31}$"
MODEL_ID_PATTERN = r"^[\w.-]+(/[\w.-]+)+$"
MAX_LORAS = 32


class LoraSpec(BaseModel):
    """An allowed LoRA: a weights reference the provider understands (a Hugging Face path,
    a Replicate model, a URL) and the scale used when a request gives none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: str = Field(min_length=1, max_length=500, pattern=r"^\S+$")
    scale: float = Field(default=1.0, ge=-4, le=4)


class CatalogEntry(BaseModel):
    """One model users can pick (``name``), how it is run and what one image costs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    kind: Kind
    provider: tuple[str, ...]
    """The provider, or a fallback chain tried in order."""
    model: dict[str, str] = Field(default_factory=dict)
    """The model id per provider of the chain (replicate and fal need one)."""
    version: str | None = Field(default=None, pattern=r"^[0-9a-f]{8,}$")
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    loras: dict[str, LoraSpec] = Field(default_factory=dict, max_length=MAX_LORAS)
    default_lora: str | None = None
    price_sats: int = Field(ge=1, le=1_000_000)
    description: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    default: bool = False

    @field_validator("provider", mode="before")
    @classmethod
    def _chain(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            names = [str(name) for name in value]
            if not names or any(name not in PROVIDER_NAMES for name in names):
                raise ValueError(f"must be one of {', '.join(PROVIDER_NAMES)} or a chain of them")
            if len(set(names)) != len(names):
                raise ValueError("names a provider twice")
            return tuple(names)
        return value

    @model_validator(mode="before")
    @classmethod
    def _model_ids(cls, data: Any) -> Any:
        # ``model = "owner/name"`` is the id of a one-provider entry's provider.
        if isinstance(data, dict) and isinstance(data.get("model"), str):
            provider = data.get("provider")
            first = provider.split(",")[0].strip().lower() if isinstance(provider, str) else None
            if isinstance(provider, list | tuple) and provider:
                first = str(provider[0])
            data = {**data, "model": {first or "": data["model"]}}
        return data

    @field_validator("model")
    @classmethod
    def _model_shapes(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for provider, model_id in value.items():
            if not re.fullmatch(MODEL_ID_PATTERN, model_id):
                raise ValueError(f"{provider}: {model_id[:80]!r} is not a model id (owner/name)")
        return value

    @field_validator("loras")
    @classmethod
    def _lora_names(cls, value: dict[str, LoraSpec]) -> dict[str, LoraSpec]:
        import re

        bad = [name for name in value if not re.fullmatch(NAME_PATTERN, name)]
        if bad:
            raise ValueError(f"LoRA names must be short lower-case words, not {bad[0][:40]!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CatalogEntry:
        extra = sorted(set(self.model) - set(self.provider))
        if extra:
            raise ValueError(f"model names a provider not in the chain: {', '.join(extra)}")
        missing = [
            name for name in self.provider if name in NAMED_MODELS and name not in self.model
        ]
        if missing:
            raise ValueError(f"model needs an id for {', '.join(missing)}")
        if self.default_lora is not None and self.default_lora not in self.loras:
            raise ValueError(f"default_lora {self.default_lora!r} is not one of the loras")
        if self.loras and self.kind != "generate":
            raise ValueError("loras are for generate models")
        return self

    @property
    def configured_as(self) -> str:
        """The provider chain as settings write it (``replicate,fal``)."""
        return ",".join(self.provider)

    def public(self) -> dict[str, Any]:
        """What users may see of the entry: no weights references, no provider ids."""
        return {
            "name": self.name,
            "kind": self.kind,
            "price_sats": self.price_sats,
            "description": self.description,
            "loras": sorted(self.loras),
            "default": self.default,
        }
