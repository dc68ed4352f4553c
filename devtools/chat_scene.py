"""Who types in ``fulmine chat`` and where: its people, the group they share, the questions
the bot asked them, and the buttons they press.

The first person is "you" (user id 1); ``/as NAME`` brings in another (the next id) or goes
back to one (``/as 2``: the person with user id 2). Each talks to the bot in their own
private chat, or, after ``/group``, in one group everybody here is in. A private chat opens
with its person's first message there: until then the bot cannot write to them (Telegram's
rule for a user who never started the bot). An answer to a question the bot asked (a
ForceReply: "What should I draw?") is sent as a reply to it, as Telegram's apps do, when
the person asked types next in that chat and does not start with a command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devtools.chat_view import buttons
from devtools.emulator import BotApiEmulator
from devtools.emulator.models import JSON

FIRST_NAME = "you"
GROUP_TITLE = "Fulmine chat"
NAME = re.compile(r"[^\W\d_][\w-]{0,31}")
"""A person's name here: a letter, then up to 31 letters, digits, _ or -."""
MAX_NUMBER_DIGITS = 9
MAX_PEOPLE = 100


class SceneError(ValueError):
    """A chat command that cannot be carried out; its message says why."""


@dataclass(frozen=True)
class Press:
    """What pressing a button does: an Update to send, or something to show."""

    update: JSON | None = None
    shown: str | None = None


class Scene:
    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emulator = emulator
        self._people: dict[str, JSON] = {}  # by name, lower case
        self._opened: set[int] = set()  # people whose private chat is open
        self._group: JSON | None = None
        self._questions: dict[int, tuple[int, int | None]] = {}  # chat: (message, asked)
        self._calls_seen = 0
        self.user = self._person(FIRST_NAME)
        self.in_group = False

    # Who and where -------------------------------------------------------------------

    def _person(self, name: str) -> JSON:
        key = name.lower()
        if key not in self._people:
            user_id = len(self._people) + 1
            first_name = "You" if key == FIRST_NAME else name
            self._people[key] = self._emulator.user(user_id, first_name, language_code="en")
        return self._people[key]

    def switch_to(self, name: str) -> bool:
        """Talk as ``name`` (or the person with that user id) from now on; True when they
        are new here."""
        if name.isascii() and name.isdigit() and len(name) <= MAX_NUMBER_DIGITS:
            person = next((p for p in self._people.values() if p["id"] == int(name)), None)
            if person is None:
                raise SceneError(f"Nobody here has user id {name}; /as NAME brings someone in.")
            self.user = person
            return False
        if not NAME.fullmatch(name):
            raise SceneError("A name is 1 to 32 letters, digits, _ or -, starting with a letter.")
        new = name.lower() not in self._people
        if new and len(self._people) >= MAX_PEOPLE:
            raise SceneError(f"This chat has room for {MAX_PEOPLE} people.")
        self.user = self._person(name)
        return new

    def _name(self, user: JSON) -> str:
        return next(key for key, person in self._people.items() if person["id"] == user["id"])

    @property
    def group(self) -> JSON:
        if self._group is None:
            self._group = self._emulator.group_chat(title=GROUP_TITLE)
        return self._group

    @property
    def chat(self) -> JSON:
        """The chat the current person types in."""
        if self.in_group:
            return self.group
        if self.user["id"] not in self._opened:
            self._opened.add(self.user["id"])
            return self._emulator.private_chat(self.user)
        return self._emulator.store.chats[self.user["id"]]

    def prompt(self) -> str:
        return f"{self._name(self.user)}{'@group' if self.in_group else ''}> "

    def where(self, chat_id: int) -> str | None:
        """How to name a chat other than the current one (None for the current one)."""
        if chat_id == (self.group["id"] if self.in_group else self.user["id"]):
            return None
        if self._group is not None and chat_id == self._group["id"]:
            return "in the group"
        person = next((p for p in self._people.values() if p["id"] == chat_id), None)
        return f"to {self._name(person)}" if person else f"in chat {chat_id}"

    def people(self) -> str:
        names = ", ".join(f"{name} ({person['id']})" for name, person in self._people.items())
        return f"{names}; now {self.prompt().removesuffix('> ')}"

    # What the bot asked ----------------------------------------------------------------

    def note_questions(self) -> None:
        """Remember the ForceReply questions the bot sent since the last look."""
        calls = self._emulator.calls
        for call in calls[self._calls_seen :]:
            markup = call.params.get("reply_markup")
            if call.method != "sendMessage" or not call.ok or not isinstance(markup, dict):
                continue
            message = call.result
            if markup.get("force_reply"):
                asked = (message.get("reply_to_message") or {}).get("from", {}).get("id")
                selective = markup.get("selective", False)
                self._questions[message["chat"]["id"]] = (
                    message["message_id"],
                    asked if selective else None,
                )
        self._calls_seen = len(calls)

    def answering(self, text: str) -> int | None:
        """The question a line typed now answers (its message id), if any; it is then
        answered."""
        chat_id = self.chat["id"]
        question = self._questions.get(chat_id)
        if question is None or text.startswith("/"):
            return None
        message_id, asked = question
        if asked not in (None, self.user["id"]):
            return None
        del self._questions[chat_id]
        if self._emulator.get_message(chat_id, message_id) is None:
            return None
        return message_id

    # Buttons -----------------------------------------------------------------------------

    def press(self, arguments: list[str]) -> Press:
        """``/press N [M]``: button N under message M (the latest with buttons here)."""
        if not 1 <= len(arguments) <= 2 or not all(
            a.isascii() and a.isdigit() and len(a) <= MAX_NUMBER_DIGITS for a in arguments
        ):
            raise SceneError("Press a button with /press N, or /press N M for message #M.")
        number = int(arguments[0])
        if not self.in_group and self.user["id"] not in self._opened:
            raise SceneError("No message here has buttons.")  # and the chat stays unopened
        chat = self.chat
        if len(arguments) == 2:
            message = self._emulator.get_message(chat["id"], int(arguments[1]))
            if message is None:
                raise SceneError(f"There is no message #{arguments[1]} here.")
        else:
            message = next(
                (m for m in reversed(self._emulator.messages(chat["id"])) if buttons(m)), None
            )
            if message is None:
                raise SceneError("No message here has buttons.")
        found = buttons(message)
        if not found:
            raise SceneError(f"Message #{message['message_id']} has no buttons.")
        if not 1 <= number <= len(found):
            raise SceneError(f"Message #{message['message_id']} has buttons 1 to {len(found)}.")
        button = found[number - 1]
        if "callback_data" in button:
            update = self._emulator.button_press(
                chat, self.user, message["message_id"], button["callback_data"]
            )
            return Press(update=update)
        for kind in ("url", "web_app", "login_url"):
            if kind in button:
                target = button[kind] if kind == "url" else button[kind]["url"]
                return Press(shown=f"{button['text']}: opens {target}")
        if "copy_text" in button:
            return Press(shown=f"copied: {button['copy_text']['text']}")
        raise SceneError(f"{button['text']!r} is a kind of button this chat cannot press.")
