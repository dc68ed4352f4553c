"""Prompt enhancement: a short prompt rewritten by a language model into a detailed one
(subject, style, lighting, composition, camera).

Asked for per request (``--enhance``) or by the user's setting; configured by
``LLM_BACKEND`` (``openai``: any OpenAI-compatible chat endpoint at ``LLM_BASE_URL``;
``replicate``: a model on Replicate). One try, bounded by ``LLM_TIMEOUT_S``: a failure,
a timeout or an unusable answer leaves the user's own prompt, and the job says so. Answers
are kept in the state store by (prompt, model) for ``LLM_CACHE_S``, so a repeated prompt
(Regenerate) costs no second call and gets the same text.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import structlog

from orchestrator.settings import Settings
from providers.errors import ProviderError
from providers.llm.base import PromptWriter
from providers.llm.openai_chat import ChatConfig, OpenAIChatWriter
from providers.llm.replicate_chat import ReplicateChatConfig, ReplicateChatWriter
from state.base import StateStore
from state.errors import StateError

log = structlog.get_logger(__name__)

SYSTEM = (
    "You write prompts for an image generation model. Rewrite the user's short prompt into "
    "one detailed prompt of at most 80 words: the subject, the style or medium, the "
    "lighting, the composition and the camera or lens. Keep everything the user asked "
    "for and add nothing they would object to. Answer with the prompt only, no preamble, "
    "no quotes, in the user's language."
)


@dataclass(frozen=True, slots=True)
class Enhanced:
    prompt: str
    enhanced: bool  # False: the user's own prompt, because the model failed


class PromptEnhancer:
    def __init__(self, writer: PromptWriter, store: StateStore, settings: Settings) -> None:
        self._writer = writer
        self._store = store
        self._timeout_s = settings.llm_timeout_s
        self._cache_s = settings.llm_cache_s
        self._max_chars = settings.max_prompt_chars * 4

    async def start(self) -> None:
        await self._writer.start()

    async def stop(self) -> None:
        await self._writer.stop()

    def _key(self, prompt: str) -> str:
        digest = hashlib.sha256(f"{self._writer.model}\0{prompt}".encode()).hexdigest()
        return f"enhanced:{digest}"

    async def enhance(self, prompt: str) -> Enhanced:
        key = self._key(prompt)
        try:
            cached = await self._store.recall(key)
        except StateError:
            cached = None
        if cached:
            return Enhanced(cached, True)
        try:
            async with asyncio.timeout(self._timeout_s):
                written = await self._writer.write(SYSTEM, prompt)
        except (ProviderError, TimeoutError) as exc:
            log.warning("prompt_not_enhanced", writer=self._writer.name, error=repr(exc))
            return Enhanced(prompt, False)
        written = " ".join(written.split()).strip("\"'“”")[: self._max_chars]
        if not written:
            return Enhanced(prompt, False)
        try:
            await self._store.remember(key, written, self._cache_s)
        except StateError as exc:
            log.info("enhanced_prompt_not_kept", error=repr(exc))
        return Enhanced(written, True)


def build_enhancer(settings: Settings, store: StateStore) -> PromptEnhancer | None:
    """The configured enhancer; None when ``LLM_BACKEND`` is none (offline)."""
    backend = settings.llm_backend
    if backend == "none":
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    writer: PromptWriter
    if backend == "openai":
        assert settings.llm_base_url is not None  # checked by the settings
        writer = OpenAIChatWriter(
            ChatConfig(
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                api_key=key or "none",
                timeout_s=settings.llm_timeout_s,
            )
        )
    else:
        token = settings.replicate_api_token
        assert token is not None  # checked by the settings
        writer = ReplicateChatWriter(
            ReplicateChatConfig(
                api_token=token.get_secret_value(),
                base_url=settings.replicate_base_url,
                model=settings.llm_model,
                timeout_s=settings.llm_timeout_s,
                poll_interval_s=min(0.5, settings.provider_poll_interval_s),
            )
        )
    return PromptEnhancer(writer, store, settings)
