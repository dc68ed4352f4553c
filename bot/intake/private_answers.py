"""Answers that belong to one person (balances, receipts, invoices): never posted in a group.

In a private chat the answer is a reply. In a group it goes to the sender's private chat and
the group is told "sent you a private message"; where the bot may not write first (the
user never started it: Telegram answers 403) the group is told how to open a private chat,
with a link that starts one. A message written on behalf of a chat (an anonymous admin, a
channel) asks about that chat's own credits, so it is answered in the chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from telegram import Bot, Message, Update
from telegram.error import Forbidden

from bot import answers, texts
from bot.intake.identity import sender_of

log = structlog.get_logger(__name__)

Send = Callable[[int], Awaitable[object]]


def open_link(bot: Bot) -> str:
    """A link that opens the private chat with the bot."""
    return f"https://t.me/{bot.username}"


async def answer_privately(update: Update, bot: Bot, send: Send) -> bool:
    """``send(chat_id)`` to the sender's private chat (here, when this is it); in a group
    the group is told where the answer went, or how to open a private chat. True when sent."""
    message: Message | None = update.effective_message
    sender = sender_of(update)
    if message is None or sender is None:
        return False
    # A message written on behalf of the chat (an anonymous admin, a channel) asks about
    # the chat's own credits (``bot.intake.identity``): the chat is where they belong.
    if message.chat.type == message.chat.PRIVATE or sender.is_chat:
        await send(message.chat_id)
        return True
    language = sender.language
    try:
        await send(sender.id)
    except Forbidden as exc:
        log.info("private_answer_refused", error=exc.message)
        said = texts.text("private_chat_needed", language, link=open_link(bot))
        await answers.reply(message, said)
        return False
    await answers.reply(message, texts.text("sent_privately", language, name=sender.name))
    return True


async def say_privately(update: Update, bot: Bot, text: str) -> bool:
    """A text answer, through :func:`answer_privately`."""
    return await answer_privately(
        update, bot, lambda chat_id: answers.at_least_once(lambda: bot.send_message(chat_id, text))
    )
