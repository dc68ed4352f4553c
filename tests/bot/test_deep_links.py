"""``/start <payload>`` through the emulator: referrals recorded, prompts offered."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.intake.deep_links import prompt_payload
from orchestrator.referrals import referrer_of
from tests.conftest import Stack


def _user(stack: Stack, user_id: int = 1001, name: str = "Ada") -> dict[str, Any]:
    return stack.emulator.user(user_id, name, language_code="en")


async def _start(stack: Stack, user: dict[str, Any], payload: str) -> None:
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text=f"/start {payload}"))


async def test_a_referral_is_recorded_once_for_the_referrer(stack: Stack) -> None:
    ada, bob = _user(stack), _user(stack, 1002, "Bob")
    await _start(stack, ada, "ref_1002")
    await _start(stack, ada, "ref_1003")  # a later link does not take the referral over
    await _start(stack, bob, "ref_1002")  # nobody refers themselves

    assert await referrer_of(stack.runtime.store, 1001) == 1002
    assert await referrer_of(stack.runtime.store, 1002) is None
    greetings = [call.params["text"] for call in stack.emulator.calls_to("sendMessage")]
    assert greetings == [texts.text("start", name=n) for n in ("Ada", "Ada", "Bob")]


async def test_a_prompt_link_offers_the_prompt_on_a_button_that_draws_it(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await _start(stack, user, prompt_payload("a red fox in the snow"))

    greeting, offer = stack.emulator.calls_to("sendMessage")
    assert greeting.params["text"] == texts.text("start", name="Ada")
    assert offer.params["text"] == texts.text("start_prompt_offer", prompt="a red fox in the snow")
    ((button,),) = offer.params["reply_markup"]["keyboard"]
    assert button["text"] == "a red fox in the snow"

    # Pressing a keyboard button sends its text as the user's message.
    await stack.send(stack.emulator.user_message(chat, user, text=button["text"]))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a red fox in the snow"


@pytest.mark.parametrize("settings_overrides", [{"plain_text_prompts": False}])
async def test_without_plain_prompts_the_button_sends_a_command(stack: Stack) -> None:
    user = _user(stack)
    await _start(stack, user, prompt_payload("a boat"))
    _, offer = stack.emulator.calls_to("sendMessage")
    ((button,),) = offer.params["reply_markup"]["keyboard"]
    assert button["text"] == "/generate a boat"


@pytest.mark.parametrize("payload", ["p_%%%", "p_", "nonsense", "ref_abc", "p_AAEC"])
async def test_an_unreadable_payload_still_gets_the_greeting(stack: Stack, payload: str) -> None:
    await _start(stack, _user(stack), payload)
    (greeting,) = stack.emulator.calls_to("sendMessage")
    assert greeting.params["text"] == texts.text("start", name="Ada")
    assert await referrer_of(stack.runtime.store, 1001) is None


def test_a_prompt_payload_fits_telegrams_limit() -> None:
    assert len(prompt_payload("x" * 46)) <= 64
    with pytest.raises(ValueError, match="46 bytes"):
        prompt_payload("x" * 47)
