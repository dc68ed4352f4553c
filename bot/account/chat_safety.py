"""A group's handling of images the content filter flags, in its ``/settings``.

In a group, ``/settings`` also says how images the image check flags are handled there
(blocked, sent behind a spoiler, sent as they are: ``orchestrator.moderation.flagged``),
with a button per choice the operator allows groups. Only the group's admins may change
it: a press is checked with getChatMember (creator or administrator; an anonymous admin's
press carries their own account), and ``/settings block|spoiler|allow`` is taken from an
admin, or from the group itself (an anonymous admin writes as the group). Presses carry
``g:fl:<choice>``. Private chats keep the operator's default and show no such line.
"""

from __future__ import annotations

import structlog
from telegram import Bot, InlineKeyboardButton, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot import answers, texts
from bot.language import language_of
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.flagged import group_choices, is_group
from orchestrator.settings import Settings

log = structlog.get_logger(__name__)

PRESS_PATTERN = r"^g:fl:"
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def choices(settings: Settings) -> list[str]:
    return [choice.value for choice in group_choices(settings)]


def safety_text(handling: str, settings: Settings, language: str | None) -> str:
    """The group's line under the settings text."""
    named = [texts.text(f"flagged_{choice}", language) for choice in choices(settings)]
    return texts.text(
        "settings_flagged_group",
        language,
        handling=texts.text(f"flagged_{handling}", language),
        choices=", ".join(named),
        commands=", ".join(f"/settings {choice}" for choice in choices(settings)),
    )


def safety_row(
    handling: str, settings: Settings, language: str | None
) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            ("✓ " if choice == handling else "") + texts.text(f"button_flagged_{choice}", language),
            callback_data=f"g:fl:{choice}",
        )
        for choice in choices(settings)
    ]


async def is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether the user is the group's creator or one of its administrators (Telegram
    asked now: a demoted admin is refused at once). Raises TelegramError."""
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in ADMIN_STATUSES


class ChatSafety:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    async def handling(self, message: Message) -> str | None:
        """The chat's handling when it is a group (None otherwise)."""
        if not is_group(message.chat.type):
            return None
        return await self._submitter.flagged_images(message.chat_id, message.chat.type)

    async def command(self, update: Update, bot: Bot, value: str) -> None:
        """``/settings <choice>`` in a group."""
        message = update.effective_message
        assert message is not None
        language = language_of(update)
        answer = await self.choose(update, bot, message, value.lower())
        await answers.reply(message, texts.text(answer[0], language, **answer[1]))

    async def choose(
        self, update: Update, bot: Bot, message: Message, value: str
    ) -> tuple[str, dict[str, str]]:
        """The answer's key and fields after trying to set ``value`` in the message's chat;
        the true sender must be one of its admins (or the group itself)."""
        language = language_of(update)
        if not is_group(message.chat.type):
            return "button_expired", {}
        if value not in choices(self._settings):
            named = ", ".join(choices(self._settings))
            return "flagged_choices", {"value": value[:32], "choices": named}
        speaks_for_chat = update.callback_query is None and message.sender_chat is not None
        if speaks_for_chat:
            allowed = message.sender_chat.id == message.chat_id  # type: ignore[union-attr]
        else:
            user = update.effective_user
            try:
                allowed = user is not None and await is_admin(bot, message.chat_id, user.id)
            except TelegramError as exc:
                log.warning("chat_member_unknown", error=repr(exc))
                return "flagged_admin_unknown", {}
        if not allowed:
            return "flagged_admins_only", {}
        if not await self._submitter.choose_flagged_images(message.chat_id, value):
            return "flagged_choices", {
                "value": value,
                "choices": ", ".join(choices(self._settings)),
            }
        log.info("flagged_images_chosen", chat_id=message.chat_id, handling=value)
        return "flagged_saved", {"handling": texts.text(f"flagged_{value}", language)}
