"""``--enhance`` end to end: the user's prompt and the language model's rewrite are both
moderated before the rewrite reaches the image provider; a fault or a timeout leaves the
user's prompt, and the user is told. Offline, ``--enhance`` says it is not configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from tests.conftest import Stack
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.llm import LLM_KEY, LLM_MODEL, FakeChatLLM, detailed
from tests.fakes.moderation_hosted import openai_error, serving
from tests.fakes.replicate import FakeReplicate

BLOCKED = "explicit porn of a naked woman"  # the local engine scores it sexual, 1.0


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeChatLLM]:
    fake = FakeChatLLM()
    async with serving(fake) as url:
        fake.base_url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def settings_overrides(
    fake_replicate: FakeReplicate, fake_fal: FakeFal, fake_llm: FakeChatLLM
) -> dict[str, Any]:
    return hosted_settings(fake_replicate, fake_fal) | {
        "llm_backend": "openai",
        "llm_base_url": f"{fake_llm.base_url}/v1",  # type: ignore[attr-defined]
        "llm_api_key": LLM_KEY,
        "llm_model": LLM_MODEL,
        "llm_timeout_s": 0.5,
    }


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _texts(stack: Stack) -> list[str]:
    return [str(call.params["text"]) for call in stack.emulator.calls_to("sendMessage")]


async def test_the_enhanced_prompt_reaches_the_provider_and_the_caption(
    stack: Stack, fake_replicate: FakeReplicate, fake_llm: FakeChatLLM
) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --enhance"))
    assert fake_llm.prompts() == ["a fox"]
    (create,) = fake_replicate.creates()
    assert create["input"]["prompt"] == detailed("a fox")
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == detailed("a fox")

    # The same prompt again (Regenerate, or typed): the kept answer, no second call.
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --enhance"))
    assert len(fake_llm.calls()) == 1
    assert fake_replicate.creates()[-1]["input"]["prompt"] == detailed("a fox")
    # Without --enhance the prompt goes as written.
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a cat"))
    assert fake_replicate.creates()[-1]["input"]["prompt"] == "a cat"


async def test_both_prompts_are_moderated_before_the_provider(
    stack: Stack, fake_replicate: FakeReplicate, fake_llm: FakeChatLLM
) -> None:
    user, chat = _ada(stack)
    # The user's own prompt is refused before the language model sees it.
    await stack.send(stack.emulator.user_message(chat, user, text=f"/generate {BLOCKED} --enhance"))
    assert fake_llm.calls() == []
    # A harmless prompt whose rewrite is not: refused, nothing made.
    fake_llm.rewrite = lambda prompt: f"{prompt}, {BLOCKED}"
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a beach --enhance"))
    assert fake_llm.prompts() == ["a beach"]
    assert fake_replicate.log.requests == []
    # Both answers are the refusal (the second also warns of a pause for repeat blocks).
    refused = texts.text("moderation_blocked_sexual")
    assert [text.startswith(refused) for text in _texts(stack)] == [True, True]


@pytest.mark.parametrize("fault", ["error", "timeout"])
async def test_a_model_fault_falls_back_to_the_users_prompt_and_says_so(
    stack: Stack, fake_replicate: FakeReplicate, fake_llm: FakeChatLLM, fault: str
) -> None:
    if fault == "error":
        fake_llm.faults.append(openai_error(503, "overloaded"))
    else:
        fake_llm.delay_s = 5
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --enhance"))
    (create,) = fake_replicate.creates()
    assert create["input"]["prompt"] == "a fox"
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a fox\n\n" + texts.text("result_enhance_failed")


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_offline_enhance_says_it_is_not_configured(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --enhance"))
    assert _texts(stack) == [texts.text("enhance_not_configured")]
    assert stack.emulator.calls_to("sendPhoto") == []
