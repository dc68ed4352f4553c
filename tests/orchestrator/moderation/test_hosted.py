"""The hosted classifier layer with OpenAI's moderation endpoint, against a fake OpenAI
served over real HTTP (``tests/fakes/moderation_hosted.py``), through the real client.

Covered: the request on the wire (path, bearer key, body); OpenAI's categories in ours; a
flag blocks what the local checks passed, a clean verdict passes (``hosted`` among the
checks); a local block stands without any call; under policy ``off`` only a minors flag
blocks; a timeout, an outage (5xx, 429, a wrong key, a closed port) and an unreadable
answer fall back to the local decision, logged without the prompt or the key and counted;
the cache answers a repeat without a second call and never keeps a failure; the
``Moderator`` combines both layers.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import structlog
from prometheus_client import REGISTRY
from pydantic import SecretStr

from orchestrator.moderation import Moderator
from orchestrator.moderation.hosted import HostedLayer, OpenAIModeration
from orchestrator.moderation.models import Category, Check, Decision, Policy
from tests.fakes.moderation_hosted import FakeOpenAIModeration, openai_error, serving
from tests.fakes.replicate import Fault
from tests.orchestrator.moderation.conftest import SettingsFactory

KEY = "sk-fake-openai-moderation-key-0123456789"
MODEL = "omni-moderation-latest"
PROMPT = "a quiet harbour at night"  # the local checks pass it
LOCAL = Decision(
    allowed=True, reason="nothing matched", checks=(Check.TERMS,), policy=Policy.STANDARD
)
OFF = LOCAL.model_copy(update={"policy": Policy.OFF})


@pytest.fixture
async def openai() -> AsyncIterator[tuple[FakeOpenAIModeration, str]]:
    fake = FakeOpenAIModeration(KEY)
    async with serving(fake) as url:
        yield fake, url


@asynccontextmanager
async def layer(
    url: str, key: str = KEY, timeout_s: float = 0.3, cache: int = 100
) -> AsyncIterator[HostedLayer]:
    hosted = HostedLayer(OpenAIModeration(url, SecretStr(key), MODEL, timeout_s), cache)
    await hosted.start()
    await hosted.start()  # idempotent
    try:
        yield hosted
    finally:
        await hosted.stop()
        await hosted.stop()


def counted(outcome: str) -> float:
    labels = {"outcome": outcome}
    return REGISTRY.get_sample_value("fulmine_moderation_hosted_total", labels) or 0.0


def cached() -> float:
    return REGISTRY.get_sample_value("fulmine_moderation_hosted_cached_total") or 0.0


async def test_a_flag_blocks_with_the_hosted_category(
    openai: tuple[FakeOpenAIModeration, str],
) -> None:
    fake, url = openai
    fake.flags[PROMPT] = ("violence", "violence/graphic")
    before = counted("flagged")
    async with layer(url) as hosted:
        decision = await hosted.review(PROMPT, LOCAL)
    assert not decision.allowed
    assert (decision.category, decision.score, decision.threshold) == ("violence", 0.97, None)
    assert decision.checks == (Check.TERMS, Check.HOSTED)
    assert decision.reason == "hosted classifier (openai): violence, violence/graphic"
    [call] = fake.calls()
    assert call.path == "/v1/moderations"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["content-type"] == "application/json"
    assert call.json() == {"model": MODEL, "input": PROMPT}
    assert counted("flagged") == before + 1


async def test_a_clean_verdict_passes(openai: tuple[FakeOpenAIModeration, str]) -> None:
    before = counted("ok")
    async with layer(openai[1]) as hosted:
        decision = await hosted.review(PROMPT, LOCAL)
    assert decision == LOCAL.model_copy(update={"checks": (Check.TERMS, Check.HOSTED)})
    assert counted("ok") == before + 1


@pytest.mark.parametrize(
    ("flags", "category"),
    [
        (("sexual", "sexual/minors"), Category.MINORS),  # the most severe is named
        (("sexual",), Category.SEXUAL),
        (("harassment/threatening",), Category.ABUSE),
        (("illicit/violent",), Category.ILLEGAL),
        (("self-harm/intent", "violence"), Category.SELF_HARM),
        (("hate/threatening", "violence"), Category.VIOLENCE),
        (("hate",), Category.HATE),
    ],
)
async def test_openai_categories_in_ours(
    openai: tuple[FakeOpenAIModeration, str], flags: tuple[str, ...], category: Category
) -> None:
    fake, url = openai
    fake.flags[PROMPT] = flags
    async with layer(url) as hosted:
        assert (await hosted.review(PROMPT, LOCAL)).category is category


async def test_a_local_block_stands_without_a_call(
    openai: tuple[FakeOpenAIModeration, str],
) -> None:
    blocked = Decision(
        allowed=False, category=Category.MINORS, score=1.0, reason="minors rule", policy=Policy.OFF
    )
    async with layer(openai[1]) as hosted:
        assert await hosted.review(PROMPT, blocked) is blocked
    assert openai[0].calls() == []


async def test_under_policy_off_only_a_minors_flag_blocks(
    openai: tuple[FakeOpenAIModeration, str],
) -> None:
    fake, url = openai
    fake.flags = {"harbour": ("violence",), "children": ("sexual/minors",)}
    async with layer(url) as hosted:
        assert (await hosted.review(PROMPT, OFF)).allowed
        decision = await hosted.review("children at the harbour", OFF)
    assert (decision.allowed, decision.category) == (False, "minors")


async def test_a_timeout_falls_back_logged_and_counted(
    openai: tuple[FakeOpenAIModeration, str],
) -> None:
    fake, url = openai
    fake.delay_s = 10.0  # released at teardown
    before = counted("timeout")
    async with layer(url, timeout_s=0.2) as hosted:
        with structlog.testing.capture_logs() as logs:
            started = time.perf_counter()
            decision = await hosted.review(PROMPT, LOCAL)
            elapsed = time.perf_counter() - started
    assert decision == LOCAL  # the local decision, without "hosted": it gave no verdict
    assert elapsed < 1.0
    assert counted("timeout") == before + 1
    [warning] = [e for e in logs if e["event"] == "moderation.hosted_failed"]
    assert (warning["log_level"], warning["outcome"]) == ("warning", "timeout")
    assert PROMPT not in repr(logs)
    assert KEY not in repr(logs)


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (openai_error(500, "The server had an error while processing your request."), KEY),
        (openai_error(503, "The engine is currently overloaded."), KEY),
        (openai_error(429, "Rate limit reached for requests", "rate_limit_exceeded"), KEY),
        (None, "sk-wrong-key-0123456789"),  # the fake answers 401
    ],
)
async def test_an_outage_falls_back_and_is_counted(
    openai: tuple[FakeOpenAIModeration, str], fault: Fault | None, key: str
) -> None:
    fake, url = openai
    if fault is not None:
        fake.faults.append(fault)
    before = counted("unavailable")
    async with layer(url, key=key) as hosted:
        with structlog.testing.capture_logs() as logs:
            assert await hosted.review(PROMPT, LOCAL) == LOCAL
    assert counted("unavailable") == before + 1
    assert len(fake.calls()) == 1
    assert PROMPT not in repr(logs)
    assert key not in repr(logs)


async def test_a_closed_port_falls_back_and_is_counted() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    before = counted("unavailable")
    async with layer(f"http://127.0.0.1:{port}") as hosted:
        assert await hosted.review(PROMPT, LOCAL) == LOCAL
    assert counted("unavailable") == before + 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b'{"id": "modr-1", "model": "omni-moderation-2024-09-26", "results": []}',
        b'{"results": [{"flagged": "yes", "categories": {}, "category_scores": {}}]}',
        b'{"results": [{"flagged": true, "categories": {"sexual": true}, '
        b'"category_scores": {"sexual": "high"}}]}',
    ],
)
async def test_an_unreadable_answer_falls_back(
    openai: tuple[FakeOpenAIModeration, str], body: bytes
) -> None:
    fake, url = openai
    fake.garbage = body
    before = counted("unreadable")
    async with layer(url) as hosted:
        assert await hosted.review(PROMPT, LOCAL) == LOCAL
    assert counted("unreadable") == before + 1


async def test_the_cache_answers_a_repeat_and_keeps_no_failure(
    openai: tuple[FakeOpenAIModeration, str],
) -> None:
    fake, url = openai
    fake.flags[PROMPT] = ("illicit",)
    fake.faults.append(openai_error(503, "overloaded"))
    before = cached()
    async with layer(url) as hosted:
        assert (await hosted.review(PROMPT, LOCAL)).allowed  # the outage: not cached
        first = await hosted.review(PROMPT, LOCAL)
        again = await hosted.review("  A QUIET   harbour at night ", LOCAL)
    assert first == again
    assert first.category == "illegal"
    assert len(fake.calls()) == 2  # the failed call, then one verdict for both
    assert cached() == before + 1


async def test_the_moderator_combines_both_layers(
    openai: tuple[FakeOpenAIModeration, str], moderation_settings: SettingsFactory
) -> None:
    fake, url = openai
    fake.flags = {"harbour": ("illicit",), "n u d e": ("sexual",)}
    settings = moderation_settings(
        moderation_hosted="openai", moderation_hosted_url=url, moderation_hosted_key=KEY
    )
    moderator = Moderator(settings)
    await moderator.start()
    try:
        assert Check.HOSTED in moderator.active_checks
        hosted = await moderator.check_prompt(PROMPT)
        local = await moderator.check_prompt("n u d e woman")
        clean = await moderator.check_prompt("a red fox in the snow")
    finally:
        await moderator.stop()
    assert (hosted.allowed, hosted.category, hosted.checks[-1]) == (False, "illegal", "hosted")
    assert (local.allowed, local.category) == (False, "sexual")
    assert Check.HOSTED not in local.checks
    assert (clean.allowed, clean.checks[-1]) == (True, "hosted")
    assert [call.json()["input"] for call in fake.calls()] == [PROMPT, "a red fox in the snow"]


async def test_asking_for_the_local_layers_only_makes_no_call(
    openai: tuple[FakeOpenAIModeration, str], moderation_settings: SettingsFactory
) -> None:
    # What a block would have been under a looser policy is asked of the local layers
    # only: each blocked prompt costs one hosted call, not one per policy.
    fake, url = openai
    fake.flags = {"harbour": ("illicit",)}
    settings = moderation_settings(
        moderation_hosted="openai", moderation_hosted_url=url, moderation_hosted_key=KEY
    )
    moderator = Moderator(settings)
    await moderator.start()
    try:
        local = await moderator.check_prompt(PROMPT, Policy.STRICT, hosted=False)
    finally:
        await moderator.stop()
    assert local.allowed
    assert Check.HOSTED not in local.checks
    assert fake.calls() == []
