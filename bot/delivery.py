"""Sending a job's outcome back to the chat."""

from __future__ import annotations

import structlog
from telegram import Bot, InputFile, InputMediaPhoto, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot import texts
from bot.commands import cut_to_caption
from bot.inputs import TELEGRAM_DOWNLOAD_LIMIT
from providers.base import ProviderImage
from providers.errors import ContentRefused, InvalidInput, ProviderTimeout, ProviderUnavailable
from providers.images import inspect_image
from state.models import Job

log = structlog.get_logger(__name__)

FAILURE_TEXTS: list[tuple[type[BaseException], str]] = [
    (InvalidInput, "failed_input"),
    (ProviderTimeout, "failed_timeout"),
    (ContentRefused, "failed_refused"),
    (ProviderUnavailable, "failed_unavailable"),
]

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def failure_text_key(error: BaseException) -> str:
    for error_type, key in FAILURE_TEXTS:
        if isinstance(error, error_type):
            return key
    return "failed_internal"


def _upload(job: Job, index: int, image: ProviderImage) -> InputFile:
    extension = _EXTENSIONS.get(image.content_type, "png")
    return InputFile(image.data, filename=f"fulmine-{job.id[:8]}-{index}.{extension}")


class Delivery:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    def _reply_to(self, job: Job) -> ReplyParameters:
        return ReplyParameters(job.request_message_id, allow_sending_without_reply=True)

    async def fetch_input_image(self, job: Job) -> bytes:
        if job.input_image is None:
            raise InvalidInput("telegram", "job has no input image")
        try:
            file = await self._bot.get_file(job.input_image.file_id)
            if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
                raise InvalidInput("telegram", "file over the 20 MB download limit")
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            raise InvalidInput("telegram", exc.message) from exc
        inspect_image(data, max_bytes=TELEGRAM_DOWNLOAD_LIMIT, source="telegram")
        return data

    async def show_progress(self, job: Job) -> None:
        await self._bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_PHOTO)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        caption = cut_to_caption(job.prompt)
        if len(images) == 1:
            await self._bot.send_photo(
                job.chat_id,
                _upload(job, 0, images[0]),
                caption=caption,
                reply_parameters=self._reply_to(job),
            )
        else:
            media = [
                InputMediaPhoto(_upload(job, i, image), caption=caption if i == 0 else None)
                for i, image in enumerate(images[:10])  # a media group holds at most 10
            ]
            await self._bot.send_media_group(
                job.chat_id, media, reply_parameters=self._reply_to(job)
            )
        await self._remove_status(job)

    async def report_failure(self, job: Job, error: BaseException) -> None:
        message = texts.text(failure_text_key(error), job.language)
        if job.status_message_id is not None:
            try:
                await self._bot.edit_message_text(message, job.chat_id, job.status_message_id)
                return
            except TelegramError as exc:  # status message gone: say it in a new one
                log.info("status_edit_failed", error=repr(exc))
        await self._bot.send_message(job.chat_id, message, reply_parameters=self._reply_to(job))

    async def _remove_status(self, job: Job) -> None:
        if job.status_message_id is None:
            return
        try:
            await self._bot.delete_message(job.chat_id, job.status_message_id)
        except TelegramError as exc:  # already gone, or too old to delete: harmless
            log.info("status_delete_failed", error=repr(exc))
