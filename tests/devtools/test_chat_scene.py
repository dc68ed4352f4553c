"""``fulmine chat``'s people, chats and buttons, against the emulator with a real client
sending what a bot would."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    CopyTextButton,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    WebAppInfo,
)

from devtools.chat_scene import MAX_PEOPLE, Scene, SceneError
from devtools.emulator import BotApiEmulator


def _keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(list(rows))


async def test_press_finds_the_button_by_number(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    scene = Scene(emulator)
    chat_id = scene.chat["id"]
    first = await bot.send_message(
        chat_id,
        "first",
        reply_markup=_keyboard(
            [InlineKeyboardButton("A", callback_data="a")],
            [
                InlineKeyboardButton("B", callback_data="b"),
                InlineKeyboardButton("Site", url="https://example.org/x"),
            ],
        ),
    )
    await bot.send_message(chat_id, "no buttons")
    latest = await bot.send_message(
        chat_id,
        "second",
        reply_markup=_keyboard(
            [
                InlineKeyboardButton("App", web_app=WebAppInfo("https://example.org/app")),
                InlineKeyboardButton("Copy", copy_text=CopyTextButton("seed 42")),
                InlineKeyboardButton("Again", callback_data="again"),
            ]
        ),
    )

    pressed = scene.press(["3"])  # the latest message with buttons
    assert pressed.update is not None
    query = pressed.update["callback_query"]
    assert (query["data"], query["from"]["id"]) == ("again", scene.user["id"])
    assert query["message"]["message_id"] == latest.message_id
    assert scene.press(["1"]).shown == "App: opens https://example.org/app"
    assert scene.press(["2"]).shown == "copied: seed 42"

    earlier = scene.press(["2", str(first.message_id)])  # numbered across rows
    assert earlier.update is not None
    assert earlier.update["callback_query"]["data"] == "b"
    assert scene.press(["3", str(first.message_id)]).shown == "Site: opens https://example.org/x"


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ([], "Press a button with /press N"),
        (["1", "2", "3"], "Press a button with /press N"),
        (["x"], "Press a button with /press N"),
        (["-1"], "Press a button with /press N"),
        (["1" * 10], "Press a button with /press N"),
        (["٣"], "Press a button with /press N"),  # a digit, but not 0-9
        (["0"], "has buttons 1 to 1"),
        (["2"], "has buttons 1 to 1"),
        (["1", "999"], "There is no message #999 here."),
        (["1", "{plain}"], "Message #{plain} has no buttons."),
    ],
)
async def test_a_press_that_cannot_be_is_explained(
    emulator: BotApiEmulator, bot: telegram.Bot, arguments: list[str], said: str
) -> None:
    scene = Scene(emulator)
    chat_id = scene.chat["id"]
    keyboard = _keyboard([InlineKeyboardButton("A", callback_data="a")])
    await bot.send_message(chat_id, "buttons", reply_markup=keyboard)
    plain = await bot.send_message(chat_id, "plain")
    calls = len(emulator.calls)
    arguments = [a.format(plain=plain.message_id) for a in arguments]
    with pytest.raises(SceneError, match=said.format(plain=plain.message_id)):
        scene.press(arguments)
    assert len(emulator.calls) == calls


async def test_a_press_where_no_message_has_buttons(emulator: BotApiEmulator) -> None:
    scene = Scene(emulator)
    with pytest.raises(SceneError, match="No message here has buttons"):
        scene.press(["1"])
    assert 1 not in emulator.store.chats  # pressing opens no private chat
    scene.chat  # noqa: B018 - typing there does
    with pytest.raises(SceneError, match="No message here has buttons"):
        scene.press(["1"])
    assert 1 in emulator.store.chats


def test_people_and_places(emulator: BotApiEmulator) -> None:
    scene = Scene(emulator)
    you = scene.user
    assert (you["id"], you["first_name"], scene.prompt()) == (1, "You", "you> ")
    assert scene.switch_to("Ann") is True
    assert (scene.user["id"], scene.user["first_name"], scene.prompt()) == (2, "Ann", "ann> ")
    scene.in_group = True
    assert scene.prompt() == "ann@group> "
    assert scene.chat["type"] == "supergroup"
    assert scene.where(scene.chat["id"]) is None
    assert scene.where(you["id"]) == "to you"
    assert scene.switch_to("YOU") is False
    assert scene.user == you
    assert scene.where(scene.group["id"]) is None
    scene.in_group = False
    assert scene.where(scene.group["id"]) == "in the group"
    assert scene.chat == {"id": 1, "type": "private", "first_name": "You"}
    for bad in ["", "_x", "2x", "a b", "x" * 33, "-", "ann!", "٣"]:
        with pytest.raises(SceneError, match="A name is 1 to 32"):
            scene.switch_to(bad)
    assert scene.user == you
    assert scene.switch_to("2") is False
    assert scene.user["first_name"] == "Ann"
    for unknown in ["3", "0", "9" * 10]:
        with pytest.raises(SceneError):
            scene.switch_to(unknown)
    assert scene.people() == "you (1), ann (2); now ann"


async def test_a_private_chat_opens_with_its_first_message(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    scene = Scene(emulator)
    scene.switch_to("ann")
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(scene.user["id"], "hello")
    await bot.send_message(scene.chat["id"], "hello")  # ann writes privately first


async def test_only_the_person_asked_answers_a_question(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    scene = Scene(emulator)
    scene.switch_to("ann")
    scene.in_group = True
    group = scene.chat
    asking = emulator.user_message(group, scene.user, text="/generate")["message"]
    await bot.send_message(
        group["id"],
        "What should I draw?",
        reply_parameters=ReplyParameters(asking["message_id"]),
        reply_markup=ForceReply(selective=True),
    )
    scene.note_questions()
    question = emulator.messages(group["id"])[-1]["message_id"]
    scene.switch_to("bob")
    assert scene.answering("a dog") is None  # not asked
    scene.switch_to("ann")
    assert scene.answering("/help") is None  # a command is not an answer
    assert scene.answering("a cat") == question
    assert scene.answering("a cat") is None  # answered once


def test_the_chat_has_room_for_a_hundred_people(emulator: BotApiEmulator) -> None:
    scene = Scene(emulator)
    for number in range(2, MAX_PEOPLE + 1):
        assert scene.switch_to(f"p{number}") is True
    with pytest.raises(SceneError, match="room for 100 people"):
        scene.switch_to("one_more")
    assert scene.switch_to("p2") is False
