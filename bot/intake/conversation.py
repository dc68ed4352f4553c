"""Talking to the bot without commands.

- In a private chat, words that are not a command are a prompt (``PLAIN_TEXT_PROMPTS``;
  off: a hint at the commands).
- A bare ``/generate`` is answered with a question, "What should I draw?", as a
  ForceReply; the answer to it is the prompt, in a private chat or a group.
- A photo or an image file sent without a caption in a private chat is answered with
  "What should I change?" (a ForceReply); the answer is the edit of that image. A photo
  captioned with plain words is an edit whose instruction is the caption.

Telegram shows a reply's own ``reply_to_message`` but never the message that one replied
to, so what a question applies to (the image, who was asked) is kept in the state store
under the question's message id for ``ASK_TTL_S`` (``submitter.remember``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from telegram import ForceReply, Message, Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from bot import answers, texts
from bot.intake.inputs import EditSource, find_edit_source
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.errors import StateError
from state.models import InputImage, JobKind

log = structlog.get_logger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE
IMAGES = filters.PHOTO | filters.Document.IMAGE
COMMAND_CAPTION = filters.CaptionRegex(r"^/")
MAX_INPUT_PLACEHOLDER = 64  # characters, Telegram's limit


class Requester(Protocol):
    """The path every request takes (``bot.handlers.Handlers``)."""

    async def request(
        self, update: Update, kind: JobKind, argument: str, source: EditSource | None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Ask:
    """A question the bot asked: what its answer becomes, and who was asked."""

    kind: JobKind
    user_id: int
    source: InputImage | None = None

    def dump(self) -> str:
        data: dict[str, Any] = {"kind": self.kind.value, "user_id": self.user_id}
        if self.source is not None:
            data["source"] = self.source.model_dump(mode="json")
        return json.dumps(data)

    @classmethod
    def load(cls, raw: str) -> Ask | None:
        try:
            data = json.loads(raw)
            source = data.get("source")
            return cls(
                kind=JobKind(data["kind"]),
                user_id=int(data["user_id"]),
                source=InputImage.model_validate(source) if source is not None else None,
            )
        except (ValueError, KeyError, TypeError) as exc:  # pydantic's errors are ValueErrors
            log.warning("ask_unreadable", error=repr(exc))
            return None


def _ask_key(chat_id: int, message_id: int) -> str:
    return f"ask:{chat_id}:{message_id}"


class Conversation:
    def __init__(self, settings: Settings, submitter: JobSubmitter, requester: Requester) -> None:
        self._settings = settings
        self._submitter = submitter
        self._requester = requester

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        """After every command's handler: what is left is words and images."""
        private = filters.ChatType.PRIVATE
        words = filters.TEXT & ~filters.COMMAND
        return [
            MessageHandler(NEW_MESSAGES & words & (private | filters.REPLY), self.words),
            MessageHandler(NEW_MESSAGES & private & IMAGES & ~COMMAND_CAPTION, self.image),
        ]

    async def ask(self, update: Update, kind: JobKind, source: InputImage | None = None) -> None:
        """Ask what to draw (or, with ``source``, what to change) and remember the question."""
        message = update.effective_message
        user = update.effective_user
        assert message is not None
        if user is None:
            return
        language = language_of(update)
        name = "ask_edit" if kind is JobKind.EDIT else "ask_prompt"
        markup = ForceReply(
            selective=True,
            input_field_placeholder=texts.text(f"{name}_placeholder", language)[
                :MAX_INPUT_PLACEHOLDER
            ],
        )
        question = await answers.at_least_once(
            lambda: message.reply_text(texts.text(name, language), reply_markup=markup)
        )
        ask = Ask(kind=kind, user_id=user.id, source=source)
        try:
            await self._submitter.remember(
                _ask_key(question.chat_id, question.message_id),
                ask.dump(),
                self._settings.ask_ttl_s,
            )
        except StateError as exc:  # the answer will then be taken as plain words
            log.warning("ask_not_kept", error=repr(exc))

    async def words(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An answer to a question, else (in a private chat) a prompt."""
        message = update.effective_message
        assert message is not None
        assert message.text is not None
        ask = await self._answered(message, context)
        if ask is not None:
            await self._requester.request(update, ask.kind, message.text, ask.source)
            return
        if message.chat.type != message.chat.PRIVATE:
            return  # a group's conversation is not for the bot
        if not self._settings.plain_text_prompts:
            await answers.reply(message, texts.text("private_hint", language_of(update)))
            return
        await self._requester.request(update, JobKind.GENERATE, message.text, None)

    async def image(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo or image file in a private chat: its caption is the edit, or it is asked."""
        message = update.effective_message
        assert message is not None
        source = find_edit_source(message)
        caption = (message.caption or "").strip()
        if caption:
            await self._requester.request(update, JobKind.EDIT, caption, source)
        elif message.media_group_id is not None:
            return  # an album: only a caption (on one of its images) says what to do
        elif isinstance(source, InputImage):
            await self.ask(update, JobKind.EDIT, source)
        else:  # unsupported or too big: said the same way as for /edit
            await self._requester.request(update, JobKind.EDIT, "", source)

    async def _answered(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> Ask | None:
        """The question ``message`` answers, if it replies to one the bot asked its sender."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return None
        try:
            raw = await self._submitter.recall(_ask_key(replied.chat_id, replied.message_id))
        except StateError as exc:
            log.warning("ask_unread", error=repr(exc))
            return None
        ask = Ask.load(raw) if raw is not None else None
        user = message.from_user
        if ask is None or user is None or user.id != ask.user_id:
            return None
        return ask
