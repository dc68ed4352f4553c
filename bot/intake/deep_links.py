"""Deep links: ``t.me/<bot>?start=<payload>`` arrives as ``/start <payload>``.

Telegram allows 1 to 64 characters of ``A-Z a-z 0-9 _ -`` in a payload. These are read:

- ``ref_<user id>``: who shared the link; recorded once for the new user
  (``submitter.record_referral``), so a referrer's referrals can be counted.
- ``p_<prompt>``: a prompt to start with, as unpadded base64url of its UTF-8 (up to 46
  bytes of prompt). It is offered on a one-tap keyboard button: pressing it sends the
  prompt as words (or as ``/generate <prompt>`` where plain words are not prompts).
- ``buy``: a top-up, as ``/buy`` alone answers (with payments on); where an answer that
  cannot show an invoice sends the user (an inline request short of credit).

Any other payload is logged and the greeting stands alone: a link never goes unanswered.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable

import structlog
from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, Update

from bot import answers, texts
from bot.intake.conversation import MAX_INPUT_PLACEHOLDER, Conversation
from bot.intake.identity import sender_of
from bot.intake.user_input import parse_number
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.settings import Settings
from state.errors import StateError

log = structlog.get_logger(__name__)

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
BUY_PAYLOAD = "buy"
Topup = Callable[[Update, Bot, list[str]], Awaitable[None]]


def buy_link(bot: Bot) -> str:
    """A link that opens the private chat with the bot at a top-up."""
    return f"https://t.me/{bot.username}?start={BUY_PAYLOAD}"


KEYBOARD_BUTTON_LIMIT = 4096  # a keyboard button's text is sent as a message


def prompt_payload(prompt: str) -> str:
    """The payload that offers ``prompt`` (ValueError when it does not fit in 64)."""
    payload = "p_" + base64.urlsafe_b64encode(prompt.encode()).decode().rstrip("=")
    if len(payload) > 64:
        raise ValueError("a prompt payload holds at most 46 bytes of prompt")
    return payload


def _prompt_of(encoded: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        prompt = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prompt = " ".join(prompt.split())  # no control characters, no line breaks
    return prompt if prompt and prompt.isprintable() else None


class DeepLinks:
    def __init__(
        self,
        settings: Settings,
        submitter: JobSubmitter,
        conversation: Conversation,
        topup: Topup | None = None,
    ) -> None:
        self._settings = settings
        self._submitter = submitter
        self._conversation = conversation
        self._topup = topup  # None with payments off

    async def follow(self, update: Update, args: list[str]) -> None:
        """Act on ``/start``'s payload, if there is one."""
        if len(args) != 1 or not _PAYLOAD.fullmatch(args[0]):
            if args:
                log.info("start_payload_unread")
            return
        payload = args[0]
        if payload == BUY_PAYLOAD and self._topup is not None:
            await self._topup(update, update.get_bot(), [])
            return
        kind, _, value = payload.partition("_")
        if kind == "ref" and (referrer := parse_number(value)) is not None:
            await self._referral(update, referrer)
        elif kind == "p" and (prompt := _prompt_of(value)) is not None:
            await self._offer(update, prompt)
        else:
            log.info("start_payload_unknown", payload=payload[:16])

    async def _referral(self, update: Update, referrer: int) -> None:
        sender = sender_of(update)
        if sender is None or sender.is_chat:
            return
        try:
            recorded = await self._submitter.record_referral(sender.id, referrer)
        except StateError as exc:
            log.warning("referral_not_recorded", error=repr(exc))
            return
        log.info("referral", recorded=recorded, referrer_id=referrer, user_id=sender.id)

    async def _offer(self, update: Update, prompt: str) -> None:
        message = update.effective_message
        assert message is not None
        language = language_of(update)
        prompt = prompt[: self._settings.max_prompt_chars]
        private = message.chat.type == message.chat.PRIVATE
        sent = prompt if private and self._settings.plain_text_prompts else f"/generate {prompt}"
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(sent[:KEYBOARD_BUTTON_LIMIT])]],
            resize_keyboard=True,
            one_time_keyboard=True,
            selective=True,
            input_field_placeholder=texts.text("ask_prompt_placeholder", language)[
                :MAX_INPUT_PLACEHOLDER
            ],
        )
        text = texts.text("start_prompt_offer", language, prompt=prompt)
        await answers.at_least_once(lambda: message.reply_text(text, reply_markup=markup))
