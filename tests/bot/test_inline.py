"""Inline mode through the emulator, on memory and on Redis: ``@bot a red fox`` offers to
generate it and the sender's recent images; choosing it posts a placeholder that becomes
the image (editMessageMedia by file id), or a short refusal or failure; off by default."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.admin.moderation_admin import refusal_text
from bot.results.inline import GENERATE_RESULT
from bot.webhook_admin import allowed_updates, set_webhook
from orchestrator.moderation.errors import PromptBlocked
from orchestrator.stats.counters import JOBS_ACCEPTED
from state.models import Balance
from tests.bot.hosted import settings_overrides  # noqa: F401 (fixture)
from tests.conftest import Stack
from tests.fakes.fal import FakeFal
from tests.fakes.replicate import FakeReplicate, Fault

BLOCKED_PROMPT = "explicit porn of a naked woman"  # the moderation engine scores it 1.0


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"telegram_inline": True}


def _ada(stack: Stack, user_id: int = 1001) -> dict[str, Any]:
    """A user who has started a chat with the bot (where inline images are kept)."""
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    stack.emulator.private_chat(user)
    return user


async def _ask(stack: Stack, user: dict[str, Any], text: str) -> tuple[str, list[dict[str, Any]]]:
    """Type ``@bot text``: the query's id and the results the bot offered."""
    update = stack.emulator.inline_query(user, text, chat_type="group")
    await stack.send(update)
    query_id = update["inline_query"]["id"]
    results = stack.emulator.inline_answer(query_id)
    assert results is not None, "the inline query was not answered"
    return query_id, results


async def _choose_generate(stack: Stack, user: dict[str, Any], prompt: str) -> str:
    """Pick "Generate: <prompt>"; the inline message id of the placeholder it posted."""
    query_id, results = await _ask(stack, user, prompt)
    assert results[0]["id"] == GENERATE_RESULT
    chosen = stack.emulator.choose_inline_result(query_id, GENERATE_RESULT)
    inline_id = chosen["chosen_inline_result"]["inline_message_id"]
    placeholder = stack.emulator.inline_message(inline_id)
    assert placeholder is not None
    assert placeholder["text"] == texts.text("inline_placeholder", prompt=prompt)
    await stack.send(chosen)
    return str(inline_id)


async def test_an_inline_generation_ends_as_the_image(stack: Stack) -> None:
    user = _ada(stack)
    _, results = await _ask(stack, user, "a red fox")
    assert results[0]["title"] == texts.text("inline_generate_title", prompt="a red fox")
    assert results[0]["reply_markup"]["inline_keyboard"]  # what gives an inline_message_id

    inline_id = await _choose_generate(stack, user, "a red fox")
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert "text" not in shown
    assert shown["caption"] == "a red fox"
    (upload,) = stack.emulator.calls_to("sendPhoto")
    assert upload.params["chat_id"] == user["id"]  # kept in the user's own chat
    (edit,) = stack.emulator.calls_to("editMessageMedia")
    assert edit.params["inline_message_id"] == inline_id
    assert edit.params["media"]["media"] == upload.result["photo"][-1]["file_id"]  # by id
    assert shown["photo"] == upload.result["photo"]
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 1

    # Telegram sends the chosen result again: nothing more is made.
    chosen = stack.emulator.update_of_kind(
        "chosen_inline_result",
        {"result_id": GENERATE_RESULT, "from": user, "query": "a red fox"}
        | {"inline_message_id": inline_id},
    )
    await stack.send(chosen)
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 1


async def test_recent_images_are_offered_as_cached_photos(stack: Stack) -> None:
    user = _ada(stack)
    await _choose_generate(stack, user, "a red fox")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a blue owl"))
    fox = stack.emulator.calls_to("sendPhoto")[0].result["photo"][-1]["file_id"]
    owl = stack.emulator.calls_to("sendPhoto")[1].result["photo"][-1]["file_id"]

    query_id, results = await _ask(stack, user, "")  # nothing typed yet: only the recent
    assert [(r["type"], r["photo_file_id"]) for r in results] == [("photo", owl), ("photo", fox)]
    # Choosing one sends it as it is: no job.
    chosen = stack.emulator.choose_inline_result(query_id, results[0]["id"])
    await stack.send(chosen)
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 2

    _, results = await _ask(stack, _ada(stack, 1002), "a cat")
    assert [r["id"] for r in results] == [GENERATE_RESULT]  # another user's are not offered


async def test_a_blocked_prompt_edits_the_placeholder_into_the_refusal(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    inline_id = await _choose_generate(stack, _ada(stack), BLOCKED_PROMPT)
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert shown["text"] == refusal_text(PromptBlocked("sexual", 1.0), "en")
    assert stack.emulator.calls_to("sendPhoto") == []
    assert len(fake_replicate.log.requests) + len(fake_fal.log.requests) == 0
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 0


@pytest.mark.parametrize(
    "extra_settings", [{"telegram_inline": True, "generate_provider": "replicate"}]
)
async def test_a_failure_edits_the_placeholder_into_a_short_message(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.create_faults = [Fault(422, {"detail": "bad input", "status": 422})]
    inline_id = await _choose_generate(stack, _ada(stack), "a red fox")
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert shown["text"] == texts.text("failed_provider_rejected")
    assert stack.emulator.calls_to("editMessageMedia") == []


async def test_without_a_chat_with_the_bot_the_placeholder_says_to_start_one(
    stack: Stack,
) -> None:
    stranger = stack.emulator.user(1003, "Bo", language_code="en")
    inline_id = await _choose_generate(stack, stranger, "a red fox")
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert shown["text"] == texts.text("inline_needs_private_chat")
    assert stack.emulator.calls_to("editMessageMedia") == []


@pytest.mark.parametrize(
    "extra_settings",
    [{"telegram_inline": True, "payments_backend": "fake", "price_generate_sats": 100}],
)
async def test_short_of_credit_the_placeholder_links_to_a_top_up(stack: Stack) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    user = _ada(stack)
    await payments.ledger.credit(user["id"], "test-topup", 40)
    inline_id = await _choose_generate(stack, user, "a red fox")
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert shown["text"] == texts.text("inline_payment_required")
    buttons = [b for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    link = f"https://t.me/{stack.emulator.bot_user['username']}?start=buy"
    assert buttons[0] == {"text": texts.text("inline_top_up"), "url": link}
    assert await payments.ledger.pending_of(user["id"]) == []  # no invoice, nothing parked
    assert await payments.balance(user["id"]) == Balance(40, 0)
    assert stack.emulator.calls_to("sendPhoto") == []  # no invoice shown anywhere
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 0

    # The button opens the private chat at a top-up: /start buy answers as /buy does.
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/start buy"))
    (invoice,) = stack.emulator.calls_to("sendPhoto")
    assert invoice.params["chat_id"] == user["id"]
    (pending,) = await payments.ledger.pending_of(user["id"])
    assert (pending.purpose, pending.amount_sats) == ("topup", 10 * 100)


@pytest.mark.parametrize("extra_settings", [{}])
async def test_inline_mode_is_off_by_default(stack: Stack) -> None:
    settings = stack.runtime.settings
    assert settings.telegram_inline is False
    assert "inline_query" not in allowed_updates(settings)
    update = stack.emulator.inline_query(_ada(stack), "a red fox")
    await stack.send(update)
    assert stack.emulator.inline_answer(update["inline_query"]["id"]) is None
    assert stack.emulator.calls_to("answerInlineQuery") == []


async def test_set_webhook_asks_for_inline_updates_when_on(stack: Stack) -> None:
    settings = stack.runtime.settings.model_copy(update={"public_url": "https://bot.example.org"})
    answer = await set_webhook(settings)
    assert answer["ok"] is True
    assert stack.emulator.webhook is not None
    allowed = stack.emulator.webhook.allowed_updates or ()
    assert {"inline_query", "chosen_inline_result"} <= set(allowed)


@pytest.mark.parametrize(
    "extra_settings",
    [{"telegram_inline": True, "payments_backend": "fake", "price_generate_sats": 100}],
)
async def test_short_of_credit_the_placeholder_says_to_buy_and_nothing_stays_held(
    stack: Stack,
) -> None:
    payments = stack.runtime.payments
    assert payments is not None
    user = _ada(stack)
    await payments.ledger.credit(user["id"], "gift", 60)
    inline_id = await _choose_generate(stack, user, "a red fox")
    shown = stack.emulator.inline_message(inline_id)
    assert shown is not None
    assert shown["text"] == texts.text("inline_payment_required")
    assert await payments.balance(user["id"]) == Balance(60, 0)  # its invoice is never shown
