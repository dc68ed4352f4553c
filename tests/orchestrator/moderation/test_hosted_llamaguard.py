"""Llama Guard 3 behind an OpenAI-compatible chat completions endpoint, against a fake
vLLM-style server over real HTTP; and the hosted classifier in the job path
(``ModerationGate.check_request`` on the memory state backend) and in
``POST /api/v1/moderation/check``.

Covered: the request on the wire (path, body, the bearer key only when one is set);
hazard codes in our categories (``unsafe\\nS4`` is minors, codes we ignore flag nothing);
answers that are not a verdict and a wrong model name fall back; the gate blocks, records
and counts an edit instruction only the hosted classifier flags, and the API reports the
same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import SecretStr

from orchestrator.moderation import Moderator
from orchestrator.moderation.api import router
from orchestrator.moderation.errors import PromptBlocked
from orchestrator.moderation.gate import ModerationGate
from orchestrator.moderation.hosted import HostedLayer, LlamaGuard
from orchestrator.moderation.hosted.llamaguard import HAZARDS, IGNORED_HAZARDS
from orchestrator.moderation.models import Category, Check, Decision, Policy
from orchestrator.serving.server import serve_in_background
from state.backend import open_backend
from state.models import Job, JobKind
from tests.conftest import make_settings
from tests.fakes.moderation_hosted import FakeLlamaGuard, serving

MODEL = "meta-llama/Llama-Guard-3-8B"
KEY = "together-fake-key-0123456789"
PROMPT = "a lighthouse at dusk, oil painting"  # the local checks pass it
LOCAL = Decision(
    allowed=True, reason="nothing matched", checks=(Check.TERMS,), policy=Policy.STANDARD
)


@pytest.fixture
async def guard() -> AsyncIterator[tuple[FakeLlamaGuard, str]]:
    fake = FakeLlamaGuard(MODEL)
    async with serving(fake) as url:
        yield fake, url


@asynccontextmanager
async def layer(url: str, key: str | None = None, model: str = MODEL) -> AsyncIterator[HostedLayer]:
    secret = SecretStr(key) if key is not None else None
    hosted = HostedLayer(LlamaGuard(url, secret, model, timeout_s=0.5), cache_entries=100)
    await hosted.start()
    try:
        yield hosted
    finally:
        await hosted.stop()


def counted(outcome: str) -> float:
    labels = {"outcome": outcome}
    return REGISTRY.get_sample_value("fulmine_moderation_hosted_total", labels) or 0.0


def test_every_hazard_code_is_mapped_or_ignored() -> None:
    assert set(HAZARDS) | IGNORED_HAZARDS == {f"S{n}" for n in range(1, 15)}
    assert not set(HAZARDS) & IGNORED_HAZARDS


async def test_the_request_is_a_chat_completion_with_the_key() -> None:
    fake = FakeLlamaGuard(MODEL, key=KEY)
    fake.unsafe[PROMPT] = "S1"
    async with serving(fake) as url, layer(url + "/v1/", key=KEY) as hosted:  # "/v1" tolerated
        decision = await hosted.review(PROMPT, LOCAL)
    assert (decision.allowed, decision.category, decision.score) == (False, "violence", 1.0)
    assert decision.reason == "hosted classifier (llamaguard): S1"
    [call] = fake.calls()
    assert call.path == "/v1/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.json() == {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 20,
        "temperature": 0,
    }


async def test_no_key_no_authorization_header(guard: tuple[FakeLlamaGuard, str]) -> None:
    fake, url = guard
    before = counted("ok")
    async with layer(url) as hosted:
        decision = await hosted.review(PROMPT, LOCAL)
    assert (decision.allowed, decision.checks) == (True, (Check.TERMS, Check.HOSTED))
    assert "authorization" not in fake.calls()[0].headers
    assert counted("ok") == before + 1


@pytest.mark.parametrize(
    ("codes", "category"),
    [
        ("S4", Category.MINORS),
        ("S12,S4", Category.MINORS),
        ("S3", Category.SEXUAL),
        ("S1, S10", Category.VIOLENCE),
        ("S10", Category.HATE),
        ("S11", Category.SELF_HARM),
        ("S2", Category.ILLEGAL),
        ("S9", Category.ILLEGAL),
        ("S5", Category.ABUSE),
        ("S8", None),  # intellectual property: not ours to judge
        ("S14,S7", None),
    ],
)
async def test_hazard_codes_in_our_categories(
    guard: tuple[FakeLlamaGuard, str], codes: str, category: Category | None
) -> None:
    fake, url = guard
    fake.unsafe[PROMPT] = codes
    async with layer(url) as hosted:
        decision = await hosted.review(PROMPT, LOCAL)
    assert decision.allowed is (category is None)
    if category is not None:
        assert decision.category is category
    assert Check.HOSTED in decision.checks


@pytest.mark.parametrize("reply", ["I'm sorry, I can't help with that.", "unsafe", "unsafe\nS"])
async def test_an_answer_that_is_no_verdict_falls_back(
    guard: tuple[FakeLlamaGuard, str], reply: str
) -> None:
    fake, url = guard
    fake.reply = reply
    before = counted("unreadable")
    async with layer(url) as hosted:
        assert await hosted.review(PROMPT, LOCAL) == LOCAL
    assert counted("unreadable") == before + 1


async def test_a_wrong_model_name_falls_back(guard: tuple[FakeLlamaGuard, str]) -> None:
    before = counted("unavailable")
    async with layer(guard[1], model="meta-llama/Llama-Guard-3-1B") as hosted:
        assert await hosted.review(PROMPT, LOCAL) == LOCAL
    assert counted("unavailable") == before + 1


async def test_the_gate_blocks_through_the_hosted_classifier(
    guard: tuple[FakeLlamaGuard, str],
) -> None:
    fake, url = guard
    fake.unsafe = {"lighthouse": "S4"}
    settings = make_settings(
        "http://127.0.0.1:9",
        moderation_hosted="llamaguard",
        moderation_hosted_url=url,
        moderation_hosted_timeout_s=0.5,
    )
    state = open_backend(None)
    await state.start()
    gate = ModerationGate(settings, state.records, state.stats)
    await gate.start()
    try:
        safe = _job("a red fox in the snow")
        await gate.check_request(safe)
        blocked = _job(PROMPT, chat_type="group", kind=JobKind.EDIT)  # an edit instruction
        with pytest.raises(PromptBlocked) as caught:
            await gate.check_request(blocked)
        [record] = await state.records.recent_blocks(10)
        counted_blocks = await state.stats.counter("moderation_blocks:minors")
    finally:
        await gate.stop()
        await state.stop()
    assert safe.moderation_policy == "standard"
    assert (caught.value.category, caught.value.score) == ("minors", 1.0)
    assert (blocked.moderation_policy, record.stage, record.category) == (
        "strict",
        "prompt",
        "minors",
    )
    assert counted_blocks == 1
    assert [call.json()["messages"][0]["content"] for call in fake.calls()] == [
        "a red fox in the snow",
        PROMPT,
    ]


async def test_the_check_endpoint_reports_the_hosted_verdict(
    guard: tuple[FakeLlamaGuard, str],
) -> None:
    fake, url = guard
    fake.unsafe = {"lighthouse": "S10"}
    api_key = "moderation-admin-key-0123456789"
    settings = make_settings(
        "http://127.0.0.1:9",
        moderation_api_key=api_key,
        moderation_hosted="llamaguard",
        moderation_hosted_url=url,
    )
    moderator = Moderator(settings)
    app = FastAPI()
    app.state.moderator = moderator
    app.include_router(router)
    await moderator.start()
    try:
        async with serve_in_background(app) as served, httpx.AsyncClient(base_url=served) as http:
            answer = await http.post(
                "/api/v1/moderation/check",
                json={"prompt": PROMPT},
                headers={"Authorization": f"Bearer {api_key}"},
            )
    finally:
        await moderator.stop()
    assert answer.status_code == 200
    body = answer.json()
    assert (body["allowed"], body["category"], body["checks"][-1]) == (False, "hate", "hosted")
    assert body["reason"] == "hosted classifier (llamaguard): S10"


def _job(prompt: str, chat_type: str = "private", kind: JobKind = JobKind.GENERATE) -> Job:
    return Job(
        kind=kind,
        prompt=prompt,
        chat_id=7 if chat_type == "private" else -100,
        user_id=7,
        request_message_id=1,
        chat_type=chat_type,
    )
