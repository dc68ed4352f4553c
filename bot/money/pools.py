"""Group pools in the chat (``orchestrator.payments.pools``): ``/fund <sats>`` puts credit
from the sender's balance into the group's pool (when it is short, a Lightning invoice for
``sats``, sent in private, pays into the pool instead), ``/allowance <images>`` sets how many
images each member may draw from it per day (those who funded it, or the group's owner
and administrators: Telegram's ``getChatMember`` says who they are),
``/pool`` shows what is left and who drew what today. Groups only; registered when
payments are on. A message sent as the group (anonymous admin, channel) is the group: it
spends the pool already and cannot fund it from itself.
"""

from __future__ import annotations

import structlog
from telegram import Bot, ChatMember, Message, Update
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.intake.identity import Sender, sender_of
from bot.intake.private_answers import open_link
from bot.intake.user_input import parse_number
from bot.money.payments import (
    MAX_TOPUP_SATS,
    minutes_left,
    payments_of,
    send_invoice_to,
)
from bot.money.refusals import INVOICE_NOT_MADE, refuse_invoice
from orchestrator.frontend import JobSubmitter
from orchestrator.payments.pools import CAP_MAX
from orchestrator.settings import Settings
from state.errors import InsufficientCredits, StateError

log = structlog.get_logger(__name__)

FUND_MAX_SATS = MAX_TOPUP_SATS  # as /buy: an invoice never asks for more


async def group_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Whether Telegram says the user owns or administers the group (a failed check: no)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("chat_member_unknown", error=repr(exc))
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


class PoolCommands:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        if self._settings.payments_backend == "none":
            return []
        new = filters.UpdateType.MESSAGE
        return [
            CommandHandler("fund", self.fund, filters=new),
            CommandHandler("allowance", self.allowance, filters=new),
            CommandHandler("pool", self.pool, filters=new),
        ]

    async def fund(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or sender is None or payments is None:
            return
        language = sender.language
        if message.chat.type not in ("group", "supergroup"):
            await answers.reply(message, texts.text("pool_groups_only", language))
            return
        if sender.is_chat:
            await answers.reply(message, texts.text("fund_as_chat", language))
            return
        args = context.args or []
        sats = parse_number(args[0]) if len(args) == 1 else None
        if sats is None or not 1 <= sats <= FUND_MAX_SATS:
            await answers.reply(message, texts.text("fund_usage", language))
            return
        pools = payments.pools
        key = f"{message.chat_id}:{message.message_id}"
        try:
            pool = await pools.fund(sender.id, message.chat_id, sats, key)
            cap = await pools.cap(message.chat_id)
        except InsufficientCredits:
            await self._fund_by_invoice(message, context.bot, sender, sats)
            return
        except StateError as exc:
            log.error("pool_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        text = texts.text("fund_done", language, name=sender.name, sats=sats, pool=pool, cap=cap)
        await answers.reply(message, text)

    async def _fund_by_invoice(self, message: Message, bot: Bot, sender: Sender, sats: int) -> None:
        """The balance is short: an invoice for ``sats`` whose payment goes into the pool,
        sent in the member's private chat (an invoice says what a balance lacks: never in
        the group); the group is told when it is paid (``bot.money.payments.notify``)."""
        payments = payments_of(self._submitter)
        assert payments is not None
        language = sender.language
        try:  # may the bot write to them? Telegram refuses a first message (403)
            await bot.send_chat_action(sender.id, ChatAction.UPLOAD_PHOTO)
        except Forbidden:
            link = open_link(bot)
            text = texts.text("fund_needs_private_chat", language, name=sender.name, link=link)
            await answers.reply(message, text)
            return
        try:
            topup = await payments.create_pool_invoice(sender.id, message.chat_id, sats, language)
            await payments.pools.note_request(topup.invoice.id, message.message_id)
        except INVOICE_NOT_MADE as exc:
            await refuse_invoice(message, self._settings, exc, language, "pool_invoice_refused")
            return
        group = message.chat.title or ""
        minutes = minutes_left(topup.invoice)
        caption = texts.text("fund_invoice", language, amount=sats, group=group, minutes=minutes)
        await send_invoice_to(bot, sender.id, topup.invoice, caption, language)
        text = texts.text("fund_invoice_sent", language, name=sender.name, amount=sats)
        await answers.reply(message, text)

    async def allowance(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or sender is None or payments is None:
            return
        language = sender.language
        if message.chat.type not in ("group", "supergroup"):
            await answers.reply(message, texts.text("pool_groups_only", language))
            return
        args = context.args or []
        images = parse_number(args[0]) if len(args) == 1 else None
        if images is None or not 0 <= images <= CAP_MAX:
            await answers.reply(message, texts.text("allowance_usage", language, max=CAP_MAX))
            return
        pools = payments.pools
        try:
            allowed = await pools.may_set_cap(message.chat_id, sender.id)
            if not allowed and not sender.is_chat:
                allowed = await group_admin(context.bot, message.chat_id, sender.id)
            if not allowed:
                await answers.reply(message, texts.text("allowance_not_allowed", language))
                return
            await pools.set_cap(message.chat_id, images)
        except StateError as exc:
            log.error("pool_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        await answers.reply(message, texts.text("allowance_set", language, cap=images))

    async def pool(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        payments = payments_of(self._submitter)
        if message is None or payments is None:
            return
        language = sender.language if sender else None
        if message.chat.type not in ("group", "supergroup"):
            await answers.reply(message, texts.text("pool_groups_only", language))
            return
        try:
            status = await payments.pools.status(message.chat_id)
        except StateError as exc:
            log.error("pool_unavailable", error=repr(exc))
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        lines = [
            texts.text(
                "pool_status",
                language,
                available=status.available,
                reserved=status.reserved,
                cap=status.cap,
            )
        ]
        lines += [
            texts.text("pool_used_line", language, name=name, images=images)
            for name, images in sorted(status.used_today.items())
        ] or [texts.text("pool_nobody_today", language)]
        await answers.reply(message, "\n".join(lines))
