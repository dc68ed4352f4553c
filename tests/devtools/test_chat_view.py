"""How ``fulmine chat`` prints buttons and where a message went."""

from __future__ import annotations

import io
from pathlib import Path

from devtools.chat_view import ChatPrinter, button_lines
from devtools.emulator import BotApiEmulator, BotEvent


def test_buttons_are_numbered_across_rows_under_their_message_number() -> None:
    message = {
        "message_id": 12,
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Again", "callback_data": "r"}, {"text": "More", "callback_data": "v"}],
                [],
                [
                    {"text": "Site", "url": "https://example.org"},
                    {"text": "App", "web_app": {"url": "https://example.org/app"}},
                ],
            ]
        },
    }
    assert button_lines(message) == [
        "#12 [1] Again  [2] More",
        "    [3] Site (link)  [4] App (Mini App)",
    ]
    assert button_lines({"message_id": 3, "text": "no buttons"}) == []


def test_a_message_elsewhere_says_where_it_went(tmp_path: Path) -> None:
    out = io.StringIO()
    printer = ChatPrinter(
        BotApiEmulator(), tmp_path, out, lambda chat_id: None if chat_id == 1 else "to ann"
    )
    here = {"message_id": 1, "text": "hello\nthere"}
    printer.show(BotEvent("message", 1, message=here))
    printer.show(BotEvent("edit", 2, message={"message_id": 4, "text": "changed"}))
    printer.show(BotEvent("chat_action", 1, action="typing"))
    printer.note("a remark")
    assert out.getvalue().splitlines() == [
        "bot> hello",
        "bot> there",
        "bot (to ann)> (edited) changed",
        "(a remark)",
    ]
