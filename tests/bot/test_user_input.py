"""Numbers and other values users type, read safely: only ASCII digits count as a number
(``²`` is a digit to ``str.isdigit`` but not to ``int``), the digits are bounded, and a
value quoted back in an answer is shortened. End to end over the Bot API emulator, with
state in memory and on Redis: every such input gets a short answer, never silence."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from bot import texts
from bot.intake.options import MAX_IMAGES, MAX_SEED
from bot.intake.user_input import MAX_DIGITS, QUOTED_MAX_CHARS, parse_number, quoted
from bot.money.payments import DEFAULT_TOPUP_IMAGES, MAX_TOPUP_SATS
from tests.conftest import Stack

ADMIN_ID = 42  # tests/conftest.py make_settings
PRICE = 100
TELEGRAM_MAX_TEXT = 4096


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        ("9" * MAX_DIGITS, int("9" * MAX_DIGITS)),
        ("9" * (MAX_DIGITS + 1), None),
        ("9" * 4000, None),
        ("²", None),
        ("1²", None),
        ("¹", None),
        ("٣", None),  # Arabic-Indic three: int() would take it, a user means no number
        ("\uff11\uff12", None),  # full-width digits one and two
        ("", None),
        ("-5", None),
        ("+5", None),
        (" 5", None),
        ("5\n", None),
        ("1_000", None),
        ("1e3", None),
    ],
)
def test_only_ascii_digits_make_a_number(raw: str, expected: int | None) -> None:
    assert parse_number(raw) == expected


def test_a_negative_number_where_one_is_allowed() -> None:
    assert parse_number("-100123", allow_negative=True) == -100123
    assert parse_number("-²", allow_negative=True) is None
    assert parse_number("--5", allow_negative=True) is None
    assert parse_number("-", allow_negative=True) is None
    assert parse_number("-" + "9" * (MAX_DIGITS + 1), allow_negative=True) is None


def test_quoted_values_are_shortened() -> None:
    assert quoted("16:7") == "16:7"
    assert quoted("x" * QUOTED_MAX_CHARS) == "x" * QUOTED_MAX_CHARS
    long = quoted("1" * 4000)
    assert len(long) == QUOTED_MAX_CHARS
    assert long.endswith("…")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"payments_backend": "fake", "price_generate_sats": PRICE}


async def _answers(stack: Stack, text: str, user_id: int = 1001) -> list[str]:
    """What the bot said back to ``text`` in a private chat, with no handler failing."""
    user = stack.emulator.user(user_id, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    before = len(stack.emulator.calls_to("sendMessage"))
    with capture_logs() as logs:
        await stack.send(stack.emulator.user_message(chat, user, text=text))
    assert [entry for entry in logs if entry["log_level"] == "error"] == []
    return [str(call.params["text"]) for call in stack.emulator.calls_to("sendMessage")[before:]]


async def test_superscript_digits_as_options_get_an_answer(stack: Stack) -> None:
    assert await _answers(stack, "/generate a fox --seed ²") == [
        texts.text("option_bad_seed", value="²", max=MAX_SEED)
    ]
    assert await _answers(stack, "/generate a fox --n ¹") == [
        texts.text("option_bad_n", value="¹", max=MAX_IMAGES)
    ]
    assert await _answers(stack, "/generate a fox --n=²") == [
        texts.text("option_bad_n", value="²", max=MAX_IMAGES)
    ]
    assert stack.emulator.calls_to("sendPhoto") == []


async def test_superscript_digits_in_buy_are_not_a_number(stack: Stack) -> None:
    bounds = {"default": "1,000", "min": "100", "max": "1,000,000"}
    assert DEFAULT_TOPUP_IMAGES * PRICE == 1000
    assert MAX_TOPUP_SATS == 1_000_000
    not_a_number = texts.text("buy_not_a_number", value="²", **bounds)
    assert await _answers(stack, "/buy ²") == [not_a_number]
    long = texts.text("buy_not_a_number", value=quoted("9" * 4000), **bounds)
    assert await _answers(stack, "/buy " + "9" * 4000) == [long]
    assert stack.emulator.calls_to("sendPhoto") == []  # no invoice


async def test_superscript_digits_in_admin_commands_get_an_answer(stack: Stack) -> None:
    assert await _answers(stack, "/ban ²", user_id=ADMIN_ID) == [texts.text("moderation_ban_usage")]
    assert await _answers(stack, "/unban -²", user_id=ADMIN_ID) == [
        texts.text("moderation_unban_usage")
    ]
    (recent,) = await _answers(stack, "/moderation ²", user_id=ADMIN_ID)
    assert recent.startswith(texts.text("moderation_recent_none"))


async def test_a_huge_seed_is_not_echoed_back_whole(stack: Stack) -> None:
    seed = "7" * 4000
    (answer,) = await _answers(stack, f"/generate a fox --seed {seed}")
    assert len(answer) < TELEGRAM_MAX_TEXT
    assert seed not in answer
    assert answer == texts.text("option_bad_seed", value=quoted(seed), max=MAX_SEED)


async def test_long_option_values_and_names_are_shortened(stack: Stack) -> None:
    ratio = "1:" + "1" * 4080
    (answer,) = await _answers(stack, f"/generate a fox --ar {ratio}")
    assert ratio not in answer
    assert quoted(ratio) in answer
    name = "--" + "x" * 4080
    (answer,) = await _answers(stack, f"/generate a fox {name}")
    assert name not in answer
    assert answer == texts.text("option_unknown", option=quoted(name))


async def test_a_long_file_type_is_shortened(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    mime_type = "application/" + "x" * 4090
    doc = stack.emulator.user_message(chat, user, document=(b"not an image", "a.bin", mime_type))
    await stack.send(doc)
    before = len(stack.emulator.calls_to("sendMessage"))
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit colour it", reply_to_message_id=doc["message"]["message_id"]
        )
    )
    (answer,) = [c.params["text"] for c in stack.emulator.calls_to("sendMessage")[before:]]
    assert answer == texts.text("unsupported_file", mime_type=quoted(mime_type))
