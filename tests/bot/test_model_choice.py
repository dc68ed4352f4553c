"""``--model`` and ``--lora`` end to end: webhook → admission (catalog price) → the real
``replicate`` and ``fal-client`` against their fakes → the Bot API emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from orchestrator.payments.service import PaymentService
from state.models import Balance
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack, png_bytes
from tests.fakes.fal import FakeFal
from tests.fakes.replicate import FakeReplicate

PAID = {"payments_backend": "fake"}


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


def _payments(stack: Stack) -> PaymentService:
    payments = stack.runtime.payments
    assert payments is not None
    return payments


def _created_paths(fake: FakeReplicate) -> list[str]:
    return [r.path for r in fake.log.requests if r.method == "POST"]


def _texts(stack: Stack) -> list[str]:
    return [str(call.params["text"]) for call in stack.emulator.calls_to("sendMessage")]


@pytest.mark.parametrize("extra_settings", [PAID])
async def test_a_named_model_reaches_replicate_and_is_charged_its_price(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    payments = _payments(stack)
    user, chat = _ada(stack)
    schnell = stack.runtime.catalog.get("flux-schnell")
    assert schnell is not None
    dev = stack.runtime.catalog.get("flux-dev")
    assert dev is not None
    assert schnell.price_sats != dev.price_sats
    await payments.ledger.credit(user["id"], "gift", 1000)

    await stack.send(
        stack.emulator.user_message(chat, user, text="/generate a fox --model flux-schnell --n 2")
    )

    assert _created_paths(fake_replicate) == [
        "/v1/models/black-forest-labs/flux-schnell/predictions"
    ]
    (create,) = fake_replicate.creates()
    assert create["input"]["num_outputs"] == 2
    assert "lora_weights" not in create["input"]
    assert len(stack.emulator.calls_to("sendMediaGroup")) == 1
    assert await payments.balance(user["id"]) == Balance(1000 - 2 * schnell.price_sats, 0)
    assert fake_fal.log.requests == []

    # No --model: the default model, at its own price.
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a wolf"))
    assert _created_paths(fake_replicate)[-1] == (
        "/v1/models/black-forest-labs/flux-dev-lora/predictions"
    )
    left = 1000 - 2 * schnell.price_sats - dev.price_sats
    assert await payments.balance(user["id"]) == Balance(left, 0)


async def test_a_lora_reaches_the_providers_lora_field(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    user, chat = _ada(stack)
    dev = stack.runtime.catalog.get("flux-dev")
    assert dev is not None
    realism = dev.loras["realism"]

    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox --lora realism"))
    await stack.send(
        stack.emulator.user_message(chat, user, text="/generate a cat --lora realism:0.5")
    )

    first, second = fake_replicate.creates()
    assert first["input"]["lora_weights"] == realism.weights
    assert first["input"]["lora_scale"] == realism.scale
    assert second["input"]["lora_weights"] == realism.weights
    assert second["input"]["lora_scale"] == 0.5
    assert first["input"]["prompt"] == "a fox"
    assert len(stack.emulator.calls_to("sendPhoto")) == 2


async def test_an_edit_model_reaches_fal_by_its_id(stack: Stack, fake_fal: FakeFal) -> None:
    user, chat = _ada(stack)
    photo = stack.emulator.user_message(chat, user, photo=png_bytes((320, 200), "blue"))
    await stack.send(photo)
    reply = stack.emulator.user_message(
        chat,
        user,
        text="/edit make it night --model kontext",
        reply_to_message_id=photo["message"]["message_id"],
    )
    await stack.send(reply)
    assert [r.path for r in fake_fal.log.to("POST")] == ["/fal-ai/flux-pro/kontext"]
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize(
    ("command", "key", "fields"),
    [
        (
            "/generate a fox --model midjourney",
            "model_unknown",
            {
                "kind": "generate",
                "name": "midjourney",
                "offered": "flux-dev, flux-schnell, flux-pro",
            },
        ),
        (
            "/generate a fox --model nano-banana",  # an edit model
            "model_unknown",
            {
                "kind": "generate",
                "name": "nano-banana",
                "offered": "flux-dev, flux-schnell, flux-pro",
            },
        ),
        (
            "/generate a fox --model flux-dev --lora oil",
            "lora_unknown",
            {"model": "flux-dev", "name": "oil", "allowed": "realism"},
        ),
        (
            "/generate a fox --model flux-schnell --lora realism",
            "lora_unknown_none",
            {"model": "flux-schnell"},
        ),
        ("/generate a fox --model ../x", "option_bad_model", {"value": "../x"}),
        ("/generate a fox --lora realism:9", "option_bad_lora", {"value": "realism:9", "max": 2.0}),
    ],
)
async def test_a_bad_choice_gets_a_short_answer_listing_what_exists(
    stack: Stack, fake_replicate: FakeReplicate, command: str, key: str, fields: dict[str, Any]
) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text=command))
    assert _texts(stack) == [texts.text(key, "en", **fields)]
    assert fake_replicate.log.requests == []
    assert stack.emulator.calls_to("sendPhoto") == []
