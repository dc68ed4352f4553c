"""A job that failed on our side or the provider's is not held against its sender's rate
limit; one that was delivered, or refused by the provider's safety filter, is."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack
from tests.fakes.replicate import FakeReplicate, Fault

ONE_A_MINUTE = {"rate_limit_per_minute": 1, "generate_provider": "replicate"}
LIMITED = {texts.text("rate_limited_user", seconds=s) for s in range(1, 61)}


def _told(stack: Stack) -> list[str]:
    calls = stack.emulator.calls_to("sendMessage") + stack.emulator.calls_to("editMessageText")
    return [str(call.params["text"]) for call in calls]


@pytest.mark.parametrize("extra_settings", [ONE_A_MINUTE])
async def test_a_provider_failure_does_not_use_up_the_limit(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    fake_replicate.create_faults = [Fault(503)] * 3
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    assert texts.text("failed_unavailable") in _told(stack)

    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    assert len(stack.emulator.calls_to("sendPhoto")) == 1  # admitted again at once
    assert not LIMITED & set(_told(stack))

    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a hen"))
    assert LIMITED & set(_told(stack))  # the delivered one counts


@pytest.mark.parametrize("extra_settings", [ONE_A_MINUTE])
async def test_a_refused_prompt_still_counts(stack: Stack, fake_replicate: FakeReplicate) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    fake_replicate.final_error = "NSFW content detected"
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    assert texts.text("failed_refused") in _told(stack)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    assert LIMITED & set(_told(stack))
