"""Who is asking: the true sender of a message, the key of everything kept per user.

Telegram sends a message written on behalf of a chat with one shared service account as
its ``from``: an anonymous group admin as GroupAnonymousBot (1087968824), a post "as the
channel" in a group as Channel_Bot (136817688), a linked channel's automatic forward as
Telegram (777000); the real sender is ``sender_chat``. Those accounts are shared by every
chat in Telegram, so credits, the free allowance, rate limits, moderation cool-downs and
bans keyed on them would be shared by strangers. Such a message's sender is therefore the
chat it speaks for (its id, negative, is what credits and limits are kept under); its
writer stays hidden, as Telegram intends, so it is never an admin of the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot.language import language_of

SERVICE_ACCOUNT_IDS = frozenset({1087968824, 136817688, 777000})


@dataclass(frozen=True, slots=True)
class Sender:
    id: int  # a user id, or the id of the chat the message speaks for
    name: str
    language: str  # the one it is answered in (``bot.language``)
    is_chat: bool  # speaks for a chat (anonymous admin, channel)


def sender_of(update: Update) -> Sender | None:
    """The true sender of the update's message (or button press); None when there is none
    (or only a service account without the chat it speaks for)."""
    message = update.effective_message
    if update.callback_query is None and message is not None and message.sender_chat:
        chat = message.sender_chat
        name = chat.title or chat.username or str(chat.id)
        return Sender(chat.id, name, language_of(update), True)
    user = update.effective_user
    if user is None or user.id in SERVICE_ACCOUNT_IDS:
        return None
    return Sender(user.id, user.first_name, language_of(update), False)
