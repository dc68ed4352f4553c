"""The Bot API emulator, driven by python-telegram-bot's real client over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import telegram
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaDocument,
    InputMediaPhoto,
    InputTextMessageContent,
    LabeledPrice,
    MenuButtonCommands,
    MenuButtonDefault,
    MenuButtonWebApp,
    ReplyParameters,
    WebAppInfo,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, EndPointNotFound, InvalidToken
from telegram.request import HTTPXRequest

from devtools.emulator import ApiCall, BotApiEmulator, BotEvent, UploadedFile
from devtools.emulator.methods import CHAT_ACTIONS, HANDLERS
from devtools.emulator.spec import IMPLEMENTED_METHODS, build_subset, load_subset, main
from orchestrator.serving.server import serve_in_background

if TYPE_CHECKING:
    from tests.bot_api_spec import SpecChecker

JSON = dict[str, Any]


def image_bytes(width: int, height: int, fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white" if mode != "RGB" else (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def ada_chat(emulator: BotApiEmulator) -> tuple[JSON, JSON]:
    ada = emulator.user(1001, "Ada", "ada_l")
    return ada, emulator.private_chat(ada)


async def raw_call(emulator: BotApiEmulator, method: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{emulator.api_url}{emulator.token}/{method}", **kwargs)


# Successful calls through python-telegram-bot --------------------------------------------


async def test_get_me_describes_the_bot_of_the_token(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "fulmine_dev_bot")
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert [call.method for call in emulator.calls] == ["getMe", "getMe"]  # initialize + ours


async def test_send_message_replies_to_a_user_message(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada, chat = ada_chat(emulator)
    first = emulator.user_message(chat, ada, text="hi")
    question = emulator.user_message(chat, ada, text="/start", reply_to_message_id=1)

    sent = await bot.send_message(
        chat["id"], "Hello!", reply_parameters=ReplyParameters(question["message"]["message_id"])
    )

    assert sent.message_id == 3  # ids are per chat, shared by the user and the bot
    assert sent.from_user is not None
    assert sent.from_user.id == emulator.bot_user["id"]
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "/start"
    stored = emulator.get_message(chat["id"], 3)
    assert stored is not None
    assert "reply_to_message" not in stored["reply_to_message"]
    assert first["update_id"] < question["update_id"]
    call = emulator.calls_to("sendmessage")[0]
    assert call.params == {"chat_id": 1001, "text": "Hello!", "reply_parameters": {"message_id": 2}}
    assert call.ok
    assert call.result["text"] == "Hello!"
    assert call.files == {}


async def test_send_photo_uploads_bytes_with_caption_and_reply(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ada, chat = ada_chat(emulator)
    request = emulator.user_message(chat, ada, text="/generate a fox")
    events = emulator.subscribe()
    png = image_bytes(800, 600)

    sent = await bot.send_photo(
        chat["id"],
        png,
        caption="a fox",
        reply_parameters=ReplyParameters(request["message"]["message_id"]),
    )

    assert [(size.width, size.height) for size in sent.photo] == [(90, 68), (320, 240), (800, 600)]
    assert sent.caption == "a fox"
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "/generate a fox"
    assert emulator.file_bytes(sent.photo[-1].file_id) == png
    call = await emulator.wait_for_call("sendPhoto")
    assert call.files == {"photo": png}
    assert isinstance(call.params["photo"], UploadedFile)
    assert call.params["photo"].data == png
    assert call.params["reply_parameters"] == {"message_id": 1}
    event = events.get_nowait()
    assert (event.kind, event.chat_id, event.message_id) == ("message", chat["id"], 2)
    assert event.message is not None
    assert event.message["caption"] == "a fox"


async def test_send_photo_again_by_file_id(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    first = await bot.send_photo(chat["id"], image_bytes(64, 64))
    again = await bot.send_photo(chat["id"], first.photo[-1].file_id)
    assert [p.file_id for p in again.photo] == [p.file_id for p in first.photo]
    with pytest.raises(BadRequest, match=r"(?i)does not fetch urls"):
        await bot.send_photo(chat["id"], "https://example.com/cat.jpg")


async def test_send_document(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    sent = await bot.send_document(chat["id"], b"%PDF-1.4 fake", filename="fox.pdf", caption="pdf")
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("fox.pdf", "application/pdf")
    assert sent.document.file_size == len(b"%PDF-1.4 fake")
    assert emulator.file_bytes(sent.document.file_id) == b"%PDF-1.4 fake"
    assert emulator.calls_to("sendDocument")[0].files == {"document": b"%PDF-1.4 fake"}


async def test_send_media_group(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    pictures = [image_bytes(100, 80), image_bytes(40, 30, "JPEG")]
    sent = await bot.send_media_group(
        chat["id"], [InputMediaPhoto(pictures[0], caption="one"), InputMediaPhoto(pictures[1])]
    )
    assert len(sent) == 2
    assert sent[0].media_group_id is not None
    assert sent[0].media_group_id == sent[1].media_group_id
    assert [m.message_id for m in sent] == [1, 2]
    assert sent[0].caption == "one"
    assert sent[1].caption is None
    assert emulator.file_bytes(sent[1].photo[-1].file_id) == pictures[1]
    call = emulator.calls_to("sendMediaGroup")[0]
    assert sorted(call.files.values(), key=len) == sorted(pictures, key=len)
    assert all(item["media"].startswith("attach://") for item in call.params["media"])
    with pytest.raises(BadRequest, match=r"(?i)mixed"):
        await bot.send_media_group(
            chat["id"], [InputMediaPhoto(pictures[0]), InputMediaDocument(b"x", filename="a.txt")]
        )


async def test_send_chat_action(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    events = emulator.subscribe()
    assert await bot.send_chat_action(chat["id"], ChatAction.UPLOAD_PHOTO) is True
    assert events.get_nowait() == BotEvent("chat_action", chat["id"], action="upload_photo")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(chat["id"], "dancing")


async def test_edit_message_text(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    ada, chat = ada_chat(emulator)
    status = await bot.send_message(chat["id"], "Generating…")
    edited = await bot.edit_message_text("Done", chat_id=chat["id"], message_id=status.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Done"
    assert edited.edit_date is not None
    assert emulator.messages(chat["id"])[-1]["text"] == "Done"
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Done", chat_id=chat["id"], message_id=status.message_id)
    with pytest.raises(BadRequest, match=r"(?i)to edit not found"):
        await bot.edit_message_text("x", chat_id=chat["id"], message_id=999)
    theirs = emulator.user_message(chat, ada, text="mine")["message"]["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)can't be edited"):
        await bot.edit_message_text("x", chat_id=chat["id"], message_id=theirs)


async def test_delete_message(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    sent = await bot.send_message(chat["id"], "bye")
    events = emulator.subscribe()
    assert await bot.delete_message(chat["id"], sent.message_id) is True
    assert emulator.get_message(chat["id"], sent.message_id) is None
    assert events.get_nowait() == BotEvent("delete", chat["id"], message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)to delete not found"):
        await bot.delete_message(chat["id"], sent.message_id)


async def test_get_file_downloads_a_user_photo(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    ada, chat = ada_chat(emulator)
    photo = image_bytes(1000, 500, "JPEG")
    update = emulator.user_message(chat, ada, photo=photo, caption="/edit make it night")
    sizes = update["message"]["photo"]
    assert sizes[-1]["width"] == 1000
    assert sizes[0]["width"] < 1000
    assert update["message"]["caption_entities"] == [
        {"type": "bot_command", "offset": 0, "length": 5}
    ]

    file = await bot.get_file(sizes[-1]["file_id"])
    assert file.file_size == len(photo)
    assert bytes(await file.download_as_bytearray()) == photo
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")
    async with httpx.AsyncClient() as client:
        missing = await client.get(f"{emulator.file_url}{emulator.token}/photos/none.jpg")
        stranger = await client.get(f"{emulator.file_url}1:other/{file.file_path}")
    assert missing.status_code == 404
    assert stranger.status_code == 401


async def test_webhook_settings_and_delivery(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, JSON]] = []

    async def webhook(request: Request) -> Response:
        secret = request.headers.get("x-telegram-bot-api-secret-token")
        received.append((secret, await request.json()))
        return Response()

    app = Starlette(routes=[Route("/telegram/webhook", webhook, methods=["POST"])])
    async with serve_in_background(app) as url:
        hook = f"{url}/telegram/webhook"
        assert await bot.set_webhook(hook, secret_token="s3cret", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        assert (info.url, info.allowed_updates, info.pending_update_count) == (
            hook,
            ("message",),
            0,
        )
        ada, chat = ada_chat(emulator)
        update = emulator.user_message(chat, ada, text="/help")
        assert await emulator.post_update(update) == 200
    assert received == [("s3cret", update)]
    assert emulator.webhook is not None
    assert emulator.webhook.secret_token == "s3cret"
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""
    assert emulator.webhook is None
    with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
        await bot.set_webhook(hook, secret_token="no spaces")


async def test_set_my_commands(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    assert await bot.set_my_commands([("generate", "Draw an image"), ("edit", "Edit one")])
    assert emulator.commands() == [
        {"command": "generate", "description": "Draw an image"},
        {"command": "edit", "description": "Edit one"},
    ]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Name", "x")])
    assert await bot.set_my_commands([("generate", "Zeichne")], language_code="de")
    assert emulator.commands(language_code="de") == [
        {"command": "generate", "description": "Zeichne"}
    ]
    # Menus are kept per two-letter ISO 639-1 code, not per regional tag.
    with pytest.raises(BadRequest, match=r"(?i)LANGUAGE_CODE_INVALID"):
        await bot.set_my_commands([("generate", "Desenhe")], language_code="pt-br")


# Errors --------------------------------------------------------------------------------


async def test_wrong_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{emulator.api_url}42:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    request = HTTPXRequest()
    await request.initialize()
    try:
        with pytest.raises(InvalidToken):
            await request.post(f"{emulator.api_url}42:wrong/getMe")
    finally:
        await request.shutdown()
    assert emulator.calls == []


async def test_unknown_method_and_case_insensitive_names(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    response = await raw_call(emulator, "sendSticker", data={"chat_id": "1"})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):  # PTB's reading of a 404 after a good getMe
        await bot.do_api_request("getFancyThings")
    assert (await raw_call(emulator, "GETME")).json()["result"]["id"] == 123456789
    assert emulator.calls[-1].method == "getMe"
    assert emulator.calls_to("getFancyThings")[0].ok is False


async def test_missing_required_parameter(emulator: BotApiEmulator) -> None:
    _, chat = ada_chat(emulator)
    response = await raw_call(emulator, "sendMessage", data={"chat_id": str(chat["id"])})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: text is required",
    }
    call = emulator.calls[-1]
    assert (call.method, call.ok, call.result) == (
        "sendMessage",
        False,
        "Bad Request: text is required",
    )


async def test_unknown_parameter_is_refused_in_strict_mode(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    _, chat = ada_chat(emulator)
    with pytest.raises(BadRequest, match=r"(?i)unknown parameter reply_to_message_id"):
        await bot.send_message(chat["id"], "hi", api_kwargs={"reply_to_message_id": 1})
    lenient = BotApiEmulator(strict=False)
    lenient.private_chat(lenient.user(1001, "Ada"))
    async with lenient.serve():
        response = await raw_call(
            lenient, "sendMessage", data={"chat_id": "1001", "text": "x", "z": "1"}
        )
    assert response.json()["ok"] is True


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"chat_id": "1001", "message_id": "abc"}, "wrong type of message_id"),
        (
            {"chat_id": "1001", "text": "x", "reply_parameters": "{}"},
            "field message_id is required",
        ),
        (
            {"chat_id": "1001", "text": "x", "reply_parameters": '{"message_id": 1, "oops": 2}'},
            "unknown field oops in ReplyParameters",
        ),
        ({"chat_id": "1001", "text": "x", "reply_parameters": '{"message_id": "1"}'}, "wrong type"),
        ({"chat_id": "1001", "text": "x", "entities": "[1]"}, "wrong type of entities[0]"),
    ],
)
async def test_parameters_are_checked_against_the_spec(
    emulator: BotApiEmulator, data: dict[str, str], problem: str
) -> None:
    ada_chat(emulator)
    method = "deleteMessage" if "message_id" in data else "sendMessage"
    response = await raw_call(emulator, method, data=data)
    assert response.status_code == 400, response.text
    assert problem in response.json()["description"]


async def test_query_string_and_json_bodies(emulator: BotApiEmulator) -> None:
    _, chat = ada_chat(emulator)
    async with httpx.AsyncClient() as client:
        url = f"{emulator.api_url}{emulator.token}"
        by_query = await client.get(f"{url}/sendMessage", params={"chat_id": "1001", "text": "q"})
        body = {"chat_id": chat["id"], "text": "j", "reply_parameters": {"message_id": 1}}
        by_json = await client.post(f"{url}/sendMessage", json=body)
        wrong = await client.post(f"{url}/sendMessage", json={"chat_id": 1001, "text": 5})
    assert by_query.json()["result"]["text"] == "q"
    assert by_json.json()["result"]["reply_to_message"]["text"] == "q"
    assert wrong.status_code == 400
    assert "wrong type of text" in wrong.json()["description"]


@pytest.mark.parametrize(
    ("width", "height", "problem"),
    [(5000, 20, "Photo_invalid_dimensions"), (5001, 5000, "Photo_invalid_dimensions")],
)
async def test_photo_dimensions_are_limited(
    emulator: BotApiEmulator, bot: telegram.Bot, width: int, height: int, problem: str
) -> None:
    _, chat = ada_chat(emulator)
    with pytest.raises(BadRequest, match=problem):
        await bot.send_photo(chat["id"], image_bytes(width, height, mode="1"))


async def test_photo_content_is_checked(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    with pytest.raises(BadRequest, match=r"(?i)Image_process_failed"):
        await bot.send_photo(chat["id"], b"not an image at all")
    with pytest.raises(BadRequest, match=r"(?i)File is too big"):
        await bot.send_photo(chat["id"], b"\xff" * (10 * 1024 * 1024 + 1))


async def test_reply_to_a_missing_message(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    with pytest.raises(BadRequest, match=r"(?i)replied not found"):
        await bot.send_message(chat["id"], "x", reply_parameters=ReplyParameters(77))
    sent = await bot.send_message(
        chat["id"], "x", reply_parameters=ReplyParameters(77, allow_sending_without_reply=True)
    )
    assert sent.reply_to_message is None


async def test_text_and_caption_limits(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(chat["id"], "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(chat["id"], "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(chat["id"], image_bytes(10, 10), caption="y" * 1025)
    assert (await bot.send_message(chat["id"], "x" * 4096 + "  ")).text is not None
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(31337, "who?")


# Recording and the user side -----------------------------------------------------------


async def test_wait_for_call_sees_past_and_future_calls(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    _, chat = ada_chat(emulator)
    await bot.send_message(chat["id"], "one")
    assert (await emulator.wait_for_call("sendMessage")).params["text"] == "one"

    def second(call: ApiCall) -> bool:
        return bool(call.params.get("text") == "two")

    waiting = asyncio.create_task(emulator.wait_for_call("sendmessage", second, timeout=5))
    await asyncio.sleep(0)
    await bot.send_message(chat["id"], "two")
    assert (await waiting).result["text"] == "two"
    with pytest.raises(TimeoutError):
        await emulator.wait_for_call("sendPhoto", timeout=0.05)


async def test_events_stream(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    _, chat = ada_chat(emulator)
    seen: list[BotEvent] = []

    async def watch() -> None:
        async for event in emulator.events():
            seen.append(event)
            if event.kind == "delete":
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    await bot.send_chat_action(chat["id"], ChatAction.TYPING)
    sent = await bot.send_message(chat["id"], "a")
    await bot.edit_message_text("b", chat_id=chat["id"], message_id=sent.message_id)
    await bot.delete_message(chat["id"], sent.message_id)
    await asyncio.wait_for(watcher, 5)
    assert [event.kind for event in seen] == ["chat_action", "message", "edit", "delete"]
    assert seen[2].message is not None
    assert seen[2].message["text"] == "b"


def test_user_side_updates() -> None:
    emulator = BotApiEmulator()
    bob = emulator.user(7, "Bob", language_code="it")
    group = emulator.group_chat(title="Artists")
    assert group["type"] == "supergroup"
    assert str(group["id"]).startswith("-100")
    assert emulator.group_chat(-4242, "Old")["type"] == "group"
    assert emulator.group_chat(-100500, "Painters")["type"] == "supergroup"
    text = "/generate@fulmine_dev_bot a red fox"
    update = emulator.user_message(group, bob, text=text)
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 25}]
    assert update["message"]["from"] == bob
    assert update["message"]["chat"] == group
    assert "entities" not in emulator.user_message(group, bob, text="no command")["message"]
    document = emulator.user_message(group, bob, document=(b"abc", "a.png", "image/png"))
    assert document["message"]["document"]["mime_type"] == "image/png"
    reply = emulator.user_message(group, bob, text="/edit blue", reply_to_message_id=1)
    assert reply["message"]["reply_to_message"]["text"] == text
    assert [m["message_id"] for m in emulator.messages(group["id"])] == [1, 2, 3, 4]
    assert emulator.update_of_kind("callback_query", {"id": "1"})["callback_query"] == {"id": "1"}
    with pytest.raises(ValueError, match="no message"):
        emulator.user_message(group, bob, text="x", reply_to_message_id=99)
    with pytest.raises(ValueError, match="caption"):
        emulator.user_message(group, bob, text="x", caption="y")
    with pytest.raises(ValueError, match="would not take"):
        emulator.user_message(group, bob, photo=image_bytes(5000, 20, mode="1"))


# Conformance with the specification ------------------------------------------------------


def test_bundled_subset_is_built_from_the_full_spec(
    full_spec: dict[str, Any], tmp_path: Path
) -> None:
    assert load_subset() == build_subset(full_spec), (
        "bot_api_subset.json is stale: run python -m devtools.emulator.spec PATH"
    )
    source, target = tmp_path / "bot-api.json", tmp_path / "subset.json"
    source.write_text(json.dumps(full_spec), encoding="utf-8")
    assert main([str(source), str(target)]) == 0
    bundled = Path(__file__).parents[2] / "devtools/emulator/bot_api_subset.json"
    assert target.read_text(encoding="utf-8") == bundled.read_text(encoding="utf-8")
    assert set(HANDLERS) == set(IMPLEMENTED_METHODS)


def test_chat_actions_are_the_documented_ones(full_spec: dict[str, Any]) -> None:
    action = next(
        f for f in full_spec["methods"]["sendChatAction"]["fields"] if f["name"] == "action"
    )
    for name in CHAT_ACTIONS:
        assert f" {name} " in action["description"].replace(",", " ").replace(".", " ")


async def test_everything_returned_conforms_to_the_full_spec(
    emulator: BotApiEmulator, bot: telegram.Bot, spec_checker: SpecChecker
) -> None:
    ada, chat = ada_chat(emulator)
    group = emulator.group_chat(title="Artists")
    updates = [
        emulator.user_message(chat, ada, text="/start"),
        emulator.user_message(chat, ada, photo=image_bytes(640, 480), caption="/edit night"),
        emulator.user_message(chat, ada, document=(b"%PDF", "f.pdf", "application/pdf")),
        emulator.user_message(
            group, ada, text="/generate@fulmine_dev_bot x", reply_to_message_id=None
        ),
    ]
    updates.append(emulator.user_message(chat, ada, text="again", reply_to_message_id=2))
    photo_id = updates[1]["message"]["photo"][-1]["file_id"]
    await bot.set_webhook("https://example.com/hook", secret_token="t", allowed_updates=["message"])
    await bot.get_webhook_info()
    await bot.set_my_commands([("generate", "Draw")])
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])
    status = await bot.send_message(
        chat["id"],
        "Working…",
        reply_parameters=ReplyParameters(1, quote="start"),
        reply_markup=keyboard,
        protect_content=True,
    )
    assert status.quote is not None
    assert status.quote.position == 1
    press = emulator.button_press(chat, ada, status.message_id, "again")
    updates.append(press)
    assert await bot.answer_callback_query(press["callback_query"]["id"], text="On it")
    assert emulator.callback_answered(press["callback_query"]["id"])
    await bot.edit_message_text("Done", chat_id=chat["id"], message_id=status.message_id)
    await bot.send_chat_action(chat["id"], ChatAction.UPLOAD_PHOTO)
    await bot.send_photo(
        chat["id"], image_bytes(500, 500), caption="c", reply_parameters=ReplyParameters(2)
    )
    await bot.send_photo(chat["id"], photo_id)
    await bot.send_document(
        chat["id"], b"doc", filename="d.txt", reply_parameters=ReplyParameters(3)
    )
    await bot.send_media_group(chat["id"], [InputMediaPhoto(image_bytes(30, 30))] * 2)
    await bot.get_file(photo_id)
    app = MenuButtonWebApp("Gallery", WebAppInfo("https://example.com/app"))
    assert await bot.set_chat_menu_button(menu_button=app)
    assert await bot.get_chat_menu_button(chat["id"]) == app
    await bot.delete_message(chat["id"], status.message_id)
    await bot.set_my_description("Draws images")
    await bot.set_my_short_description("Imágenes", language_code="es")
    invoice = await bot.send_invoice(
        chat["id"], "500 credits", "A top-up", "p-1", "XTR", [LabeledPrice("Credit", 50)]
    )
    checkout = emulator.pre_checkout(chat, ada, invoice.message_id)
    query_id = checkout["pre_checkout_query"]["id"]
    assert await bot.answer_pre_checkout_query(query_id, ok=True)
    paid = emulator.successful_payment(query_id)
    updates += [checkout, paid]
    charge = paid["message"]["successful_payment"]["telegram_payment_charge_id"]
    assert await bot.refund_star_payment(ada["id"], charge)
    inline = emulator.inline_query(ada, "a fox")
    inline_query_id = inline["inline_query"]["id"]
    result = InlineQueryResultArticle(
        "g", "Generate", InputTextMessageContent("Working…"), reply_markup=keyboard
    )
    assert await bot.answer_inline_query(inline_query_id, [result], is_personal=True)
    chosen = emulator.choose_inline_result(inline_query_id, "g")
    updates += [inline, chosen]
    inline_id = chosen["chosen_inline_result"]["inline_message_id"]
    assert await bot.edit_message_text("Almost", inline_message_id=inline_id)
    assert await bot.edit_message_media(InputMediaPhoto(photo_id), inline_message_id=inline_id)
    assert (await bot.get_chat_member(group["id"], ada["id"])).status == "member"
    emulator.make_admin(group, ada)
    assert (await bot.get_chat_member(group["id"], ada["id"])).status == "administrator"
    emulator.make_admin(group, ada, "creator")
    assert (await bot.get_chat_member(group["id"], ada["id"])).status == "creator"
    (admin,) = await bot.get_chat_administrators(group["id"])
    assert (admin.user.id, admin.status) == (ada["id"], "creator")
    await bot.delete_webhook()
    await bot.get_webhook_info()

    assert {call.method for call in emulator.calls} == set(IMPLEMENTED_METHODS)
    assert all(call.ok for call in emulator.calls)
    problems = [
        p for call in emulator.calls for p in spec_checker.check_result(call.method, call.result)
    ]
    problems += [p for update in updates for p in spec_checker.problems(update, ["Update"])]
    assert problems == []
    assert spec_checker.problems({"update_id": 1, "message": {"message_id": 1}}, ["Update"])
    assert spec_checker.problems({"update_id": 1, "bogus": True}, ["Update"])


async def test_the_menu_button_is_per_chat_over_a_default(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    _, chat = ada_chat(emulator)
    assert await bot.get_chat_menu_button(chat["id"]) == MenuButtonDefault()
    app = MenuButtonWebApp("Gallery", WebAppInfo("https://example.com/app"))
    await bot.set_chat_menu_button(menu_button=app)
    assert await bot.get_chat_menu_button(chat["id"]) == app
    await bot.set_chat_menu_button(chat["id"], MenuButtonCommands())
    assert await bot.get_chat_menu_button(chat["id"]) == MenuButtonCommands()
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp("Gallery", WebAppInfo("http://example.com/app"))
        )
