"""``Moderator``: the moderation component the runtime starts and stops.

Contract:
- ``start()`` loads every model once, in its thread pool (never on the event loop), and
  logs which checks are active; an optional model that fails to load (the profanity model,
  the image model) is a loud warning naming what is off, never a silent pass. A broken
  term list or setting fails ``start()``. ``start()`` and ``stop()`` are idempotent;
  ``stop()`` waits for running checks.
- ``check_prompt(text, policy)`` and ``check_image(data, policy)`` run in the pool and
  return a ``Decision``; before ``start()`` (or after ``stop()``) they raise
  ``ModeratorNotStarted``. ``check_image`` raises ``UnreadableImage`` for bytes that are
  not an image.
- With a hosted classifier configured (MODERATION_HOSTED), ``check_prompt`` then asks it
  about what the local checks let through and combines the two (``hosted/layer.py``): the
  local block first, a hosted flag blocks too, its failure leaves the local decision.
  ``start()`` and ``stop()`` start and stop its client.
- ``policy_for(chat_type)``: the operator's policy for a Telegram chat type.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import structlog

from orchestrator.moderation.errors import ModeratorNotStarted
from orchestrator.moderation.hosted import hosted_layer
from orchestrator.moderation.image_check import ImageChecker, ImageModel, ImageThresholds
from orchestrator.moderation.models import DEFAULT_THRESHOLDS, Category, Check, Decision, Policy
from orchestrator.moderation.profanity import ProfanityModel
from orchestrator.moderation.prompt_check import PromptChecker, PromptThresholds
from orchestrator.moderation.terms import TermLists
from orchestrator.moderation.transliterate import homoglyph_table
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")
_WARM_UP_PROMPT = "warm-up: a red fox in the snow"


class Moderator:
    """Prompt and image checks behind one thread pool (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = asyncio.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._prompts: PromptChecker | None = None
        self._images: ImageChecker | None = None
        self._hosted = hosted_layer(settings)

    @property
    def started(self) -> bool:
        return self._pool is not None

    @property
    def active_checks(self) -> tuple[Check, ...]:
        """The checks that run under a non-off policy (empty before ``start()``)."""
        if self._prompts is None or self._images is None:
            return ()
        image = (Check.IMAGE_MODEL,) if self._images.model is not None else ()
        hosted = (Check.HOSTED,) if self._hosted is not None else ()
        return (*self._prompts.checks, *hosted, *image)

    @property
    def prompt_checker(self) -> PromptChecker:
        """The synchronous prompt check (for benchmarks and batch evaluation)."""
        if self._prompts is None:
            raise ModeratorNotStarted()
        return self._prompts

    @property
    def image_checker(self) -> ImageChecker:
        """The synchronous image check (for benchmarks)."""
        if self._images is None:
            raise ModeratorNotStarted()
        return self._images

    def policy_for(self, chat_type: str) -> Policy:
        """``private`` chats get MODERATION_PRIVATE; groups, supergroups and channels
        MODERATION_GROUPS."""
        if chat_type == "private":
            return Policy(self.settings.moderation_private)
        return Policy(self.settings.moderation_groups)

    async def start(self) -> None:
        async with self._lock:
            if self._pool is not None:
                return
            started = time.perf_counter()
            pool = ThreadPoolExecutor(
                max_workers=self.settings.moderation_threads, thread_name_prefix="moderation"
            )
            try:
                loop = asyncio.get_running_loop()
                prompts, images = await loop.run_in_executor(pool, self._load)
                if self._hosted is not None:
                    await self._hosted.start()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            self._pool, self._prompts, self._images = pool, prompts, images
        missing = [c.value for c in (Check.PROFANITY_MODEL, Check.IMAGE_MODEL)]
        missing = [name for name in missing if name not in self.active_checks]
        log.info(
            "moderation.started",
            checks=[check.value for check in self.active_checks],
            missing=missing,
            private=self.settings.moderation_private,
            groups=self.settings.moderation_groups,
            hosted=self.settings.moderation_hosted,
            load_s=round(time.perf_counter() - started, 2),
        )

    async def stop(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
            self._prompts = self._images = None
            if pool is not None:
                await asyncio.to_thread(pool.shutdown, wait=True)
                if self._hosted is not None:
                    await self._hosted.stop()
                log.info("moderation.stopped")

    async def check_prompt(
        self, text: str, policy: Policy = Policy.STANDARD, *, hosted: bool = True
    ) -> Decision:
        """The prompt's decision; ``hosted=False`` asks the local layers only (no paid call:
        what a block would have been under another policy)."""
        checker = self.prompt_checker
        decision = await self._run(partial(checker.check, text, policy))
        if hosted and self._hosted is not None:
            decision = await self._hosted.review(text, decision)
        return decision

    async def check_image(self, data: bytes, policy: Policy) -> Decision:
        checker = self.image_checker
        if checker.thresholds.for_policy(policy) is None:  # not checked: no thread to wait on
            return checker.check(data, policy)
        return await self._run(partial(checker.check, data, policy))

    async def _run(self, call: partial[T]) -> T:
        pool = self._pool
        if pool is None:
            raise ModeratorNotStarted()
        return await asyncio.get_running_loop().run_in_executor(pool, call)

    # Everything below runs in the pool, once, at start.

    def _load(self) -> tuple[PromptChecker, ImageChecker]:
        settings = self.settings
        homoglyph_table()
        terms_dir = Path(settings.moderation_terms_dir) if settings.moderation_terms_dir else None
        terms = TermLists.load(terms_dir, settings.moderation_allow_terms)
        thresholds = {
            **DEFAULT_THRESHOLDS,
            **{Category(name): value for name, value in settings.moderation_thresholds.items()},
        }
        profanity = _optional(
            Check.PROFANITY_MODEL, "abuse is then judged by the term lists only", ProfanityModel
        )
        model_path = settings.moderation_image_model_path
        image_model = _optional(
            Check.IMAGE_MODEL,
            "images are then NOT checked: strict chats refuse every image, standard chats "
            "get them unchecked",
            partial(ImageModel, Path(model_path) if model_path else None),
        )
        prompts = PromptChecker(
            terms, profanity, PromptThresholds(thresholds, settings.moderation_strict_factor)
        )
        images = ImageChecker(
            image_model,
            ImageThresholds(
                settings.moderation_image_threshold, settings.moderation_image_threshold_strict
            ),
        )
        prompts.check(_WARM_UP_PROMPT, Policy.STANDARD)
        return prompts, images


def _optional(check: Check, consequence: str, load: partial[T] | type[T]) -> T | None:
    try:
        return load()
    except Exception as exc:  # any failure to load: reported, and the check is off
        log.warning(
            "moderation.check_unavailable",
            check=check.value,
            consequence=consequence,
            error=f"{type(exc).__name__}: {exc}",
        )
        return None
