"""Taking a job through admission, and answering each refusal in the user's words.

A request typed in the chat is answered in the chat. A button's press is answered with the
button's own pop-up (``answerCallbackQuery``) where the answer is short and passing (rate
limits), never with a new chat message; every press is answered, so its spinner stops.

What concerns one person's repeat blocks is never posted in a group: a pause goes to the
sender's private chat (the group reads "I sent you a private message", or how to open
one), and the warning or pause a block brings is sent privately too, the block's own
refusal staying in the group; in a private chat they are one answer.
"""

from __future__ import annotations

import math

import structlog
from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot import answers, texts
from bot.account.model_choice import choice_refusal_text
from bot.admin.moderation_admin import pause_note, refusal_text
from bot.intake.identity import sender_of
from bot.intake.private_answers import say_privately
from bot.money.payments import answer_refusal
from bot.money.stars import stars_of
from orchestrator.catalog.errors import UnknownLora, UnknownModel
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.errors import ModerationRefusal, UserThrottled
from orchestrator.payments.errors import PaymentRefusal
from orchestrator.settings import Settings
from state.errors import RateLimited, StateError
from state.models import Job

log = structlog.get_logger(__name__)

RATE_LIMITED_TEXTS = {"user": "rate_limited_user", "chat": "rate_limited_chat"}


async def answer_press(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner; a query too old to answer is no reason to fail."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("callback_answer_failed", error=repr(exc))


async def admitted(
    submitter: JobSubmitter,
    settings: Settings,
    update: Update,
    job: Job,
    query: CallbackQuery | None = None,
) -> bool:
    """True when ``job`` passed admission; otherwise the user has been told why."""
    message = update.effective_message
    assert message is not None
    language = job.language
    pop_up: str | None = None
    try:
        await submitter.admit(job)
        return True
    except (UnknownModel, UnknownLora) as exc:
        await answers.reply(message, choice_refusal_text(exc, language))
    except ModerationRefusal as exc:
        await _answer_moderation(update, message, exc, language)
        log.info("job_refused_by_moderation", refusal=type(exc).__name__, chat_id=job.chat_id)
    except PaymentRefusal as exc:
        stars = stars_of(settings, submitter)  # a parked request may be paid in Stars too
        await answer_refusal(update, exc, settings, language, stars, submitter.payments)
        log.info("job_awaits_payment", refusal=type(exc).__name__, job_id=job.id)
    except RateLimited as exc:
        key = RATE_LIMITED_TEXTS.get(exc.scope, "rate_limited_busy")
        said = texts.text(key, language, seconds=max(1, math.ceil(exc.retry_after_s)))
        if query is not None:
            pop_up = said
        else:
            await answers.reply(message, said)
        log.info("job_rate_limited", scope=exc.scope, chat_id=job.chat_id)
    except StateError as exc:
        await answers.reply(message, texts.text("state_unavailable", language))
        log.error("job_not_admitted", error=repr(exc))
    finally:
        if query is not None:
            await answer_press(query, pop_up)
    return False


async def _answer_moderation(
    update: Update, message: Message, refusal: ModerationRefusal, language: str | None
) -> None:
    said, note = refusal_text(refusal, language), pause_note(refusal, language)
    in_group = message.chat.type != ChatType.PRIVATE
    if in_group and isinstance(refusal, UserThrottled):
        await say_privately(update, message.get_bot(), said)
        return
    if not in_group or note is None:
        await answers.reply(message, f"{said}\n\n{note}" if note else said)
        return
    await answers.reply(message, said)
    sender = sender_of(update)
    if sender is None or sender.is_chat:  # the group speaks for itself: it reads it here
        await answers.reply(message, note)
        return
    try:
        await message.get_bot().send_message(sender.id, note)
    except TelegramError as exc:  # never started the bot: the refusal said enough
        log.info("pause_note_not_sent", error=repr(exc))
