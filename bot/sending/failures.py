"""Telling a user why their job failed, in words that match the cause, with one tap to
try again.

Each failure names what failed: the image sent to be edited (``failed_input``), a
provider's safety filter (``failed_refused``), a provider rejecting the request's prompt
or options (``failed_provider_rejected``: an HTTP 422, never "I couldn't read that
image"), a provider that is slow, down or answers nonsense, Telegram, or the bot itself.
Every text says the user was not charged (a failed job's reservation is released before
the user is told), and carries a "Try again" button: the same request with a new seed
(``bot.results.buttons``), except where trying again cannot help (an input image the content
filter blocked).
"""

from __future__ import annotations

import structlog
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot import answers, texts
from bot.admin.moderation_admin import pause_note
from bot.results.buttons import Action, callback_data
from fulmine.errors import ImageTooLarge, InvalidInput
from orchestrator.errors import DeliveryUncertain, JobCancelled
from orchestrator.moderation.errors import InputImageBlocked, OutputImagesBlocked
from providers.errors import ContentRefused, ProviderTimeout, ProviderUnavailable, UnusableOutput
from state.models import Job

log = structlog.get_logger(__name__)

# Who finds an input image unreadable (``InvalidInput.source``); any other source is a
# provider that refused the request as it was given.
IMAGE_SOURCES = frozenset({"input", "telegram", "moderation", "output"})
FAILURE_TEXTS: list[tuple[type[BaseException], str]] = [
    (InputImageBlocked, "failed_moderation_input"),
    (OutputImagesBlocked, "failed_moderation_output"),
    (ImageTooLarge, "failed_input_too_large"),
    (InvalidInput, "failed_input"),
    (ProviderTimeout, "failed_timeout"),
    (ContentRefused, "failed_refused"),
    (ProviderUnavailable, "failed_unavailable"),
    (UnusableOutput, "failed_output"),
    (DeliveryUncertain, "failed_delivery_uncertain"),
    (JobCancelled, "failed_cancelled"),
]
NO_RETRY = (InputImageBlocked,)
_NOT_MODIFIED = "message is not modified"


def failure_text_key(error: BaseException) -> str:
    """The text that names what failed."""
    if isinstance(error, ContentRefused) and error.reason == "invalid_input":
        return "failed_provider_rejected"
    if (
        type(error) is InvalidInput and error.source not in IMAGE_SOURCES
    ):  # a provider said the request itself is invalid, not an image
        return "failed_provider_rejected"
    for error_type, key in FAILURE_TEXTS:
        if isinstance(error, error_type):
            return key
    return "failed_internal"


def retry_keyboard(job: Job, error: BaseException) -> InlineKeyboardMarkup | None:
    if isinstance(error, NO_RETRY):
        return None
    button = InlineKeyboardButton(
        texts.text("button_try_again", job.language),
        callback_data=callback_data(Action.RETRY, job.id),
    )
    return InlineKeyboardMarkup([[button]])


async def report_failure(bot: Bot, job: Job, error: BaseException) -> None:
    """In place of the status message where there is one, else as a reply to the request."""
    message = texts.text(failure_text_key(error), job.language)
    note = pause_note(error, job.language)
    if note is not None and job.chat_type == ChatType.PRIVATE:  # never posted in a group
        message = f"{message}\n\n{note}"
    keyboard = retry_keyboard(job, error)
    if job.status_message_id is not None:
        try:
            await bot.edit_message_text(
                message, job.chat_id, job.status_message_id, reply_markup=keyboard
            )
            return
        except BadRequest as exc:
            if _NOT_MODIFIED in exc.message.lower():  # a retried edit had been carried out
                return
            log.info("status_edit_failed", error=repr(exc))  # gone: say it in a new one
        except TelegramError as exc:  # no answer, even retried: better twice than never
            log.info("status_edit_failed", error=repr(exc))
    reply_to = ReplyParameters(job.request_message_id, allow_sending_without_reply=True)
    await answers.at_least_once(
        lambda: bot.send_message(
            job.chat_id, message, reply_parameters=reply_to, reply_markup=keyboard
        )
    )
