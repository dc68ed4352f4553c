"""Sending a job's outcome back to the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    MessageEntity,
    ReplyParameters,
    User,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, NetworkError, TelegramError

from bot import texts
from bot.intake.commands import CAPTION_LIMIT, cut_to_caption
from bot.intake.inputs import TELEGRAM_DOWNLOAD_LIMIT
from bot.results.buttons import album_keyboard, result_keyboard
from bot.sending.failures import report_failure
from bot.sending.photos import Prepared, fitted
from fulmine.errors import InvalidInput
from orchestrator.errors import DeliveryUncertain
from orchestrator.moderation.errors import OutputImagesBlocked
from providers.base import ProviderImage
from providers.errors import (
    UnusableOutput,
)
from providers.images import inspect_image
from state.models import Job, JobKind

log = structlog.get_logger(__name__)

MEDIA_GROUP_MAX = 10
NAME_MAX = 64
_NAME_MARK = "\x00"  # where the requester's name goes in a group caption


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def shortfall_line(job: Job, delivered: int | None) -> str:
    """The caption's last line when fewer images than asked are sent ("" otherwise): how
    many could not be, and, when payments are on, that only those sent were charged."""
    if delivered is None or delivered >= job.num_images:
        return ""
    key = "result_partial" if job.reserved_sats is None else "result_partial_charged"
    missing, asked = job.num_images - delivered, job.num_images
    return texts.text(key, job.language, missing=missing, asked=asked, delivered=delivered)


def caption_of(job: Job, delivered: int | None = None) -> tuple[str, list[MessageEntity]]:
    """The result's caption: the prompt, and in groups who asked (a mention of them); then
    the shortfall line when ``delivered`` images are fewer than asked."""
    notes = [shortfall_line(job, delivered)]
    if job.enhance_failed:
        notes.append(texts.text("result_enhance_failed", job.language))
    line = "\n".join(note for note in notes if note)
    room = CAPTION_LIMIT - (_utf16_len(line) + 2 if line else 0)
    caption, entities = _prompt_caption(job, room)
    return (f"{caption}\n\n{line}" if line else caption), entities


def _prompt_caption(job: Job, limit: int) -> tuple[str, list[MessageEntity]]:
    prompt = job.prompt.replace(_NAME_MARK, "")
    if job.chat_type == ChatType.PRIVATE or not job.requester_name:
        return cut_to_caption(prompt, limit), []
    name = job.requester_name[:NAME_MAX]
    marked = texts.text("result_caption_group", job.language, name=_NAME_MARK, prompt=prompt)
    offset = _utf16_len(marked[: marked.index(_NAME_MARK)])
    caption = cut_to_caption(marked.replace(_NAME_MARK, name, 1), limit)
    if offset + _utf16_len(name) > _utf16_len(caption):
        return caption, []
    mention = MessageEntity(
        MessageEntity.TEXT_MENTION,
        offset,
        _utf16_len(name),
        user=User(job.user_id, name, is_bot=False),
    )
    return caption, [mention]


def _file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.document is not None:
        return message.document.file_id
    return None


DOCUMENT_UPLOAD_LIMIT = 50 * 1024 * 1024  # a bot's upload limit for documents


def _as_document(image: ProviderImage) -> Prepared:
    if len(image.data) > DOCUMENT_UPLOAD_LIMIT:
        raise UnusableOutput("telegram", "the upscaled image is over Telegram's 50 MB")
    return Prepared(image.data, image.content_type, as_photo=False)


def _behind_spoilers(job: Job, prepared: list[Prepared]) -> tuple[list[Prepared], list[bool]]:
    """The images to send and, for each, whether it goes behind a spoiler (a flagged image
    in a chat that shows them so: ``job.spoiler_images``). Only a photo can be hidden: a
    flagged image that must go as a document (an upscale, a shape Telegram refuses as a
    photo) is not sent; when none is left, as if the check had blocked them all."""
    kept: list[Prepared] = []
    spoilers: list[bool] = []
    for index, image in enumerate(prepared):
        spoiler = index in job.spoiler_images
        if spoiler and not image.as_photo:
            log.warning("flagged_image_not_sent_as_document")
            continue
        kept.append(image)
        spoilers.append(spoiler)
    if not kept and prepared:
        raise OutputImagesBlocked("sexual", 1.0)
    job.spoiler_images = [index for index, spoiler in enumerate(spoilers) if spoiler]
    return kept, spoilers


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
        # Checked whole once, here, off the event loop: the size from the header first.
        await asyncio.to_thread(
            inspect_image, data, max_bytes=TELEGRAM_DOWNLOAD_LIMIT, source="telegram"
        )
        return data

    async def show_progress(self, job: Job) -> None:
        await self._bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_PHOTO)

    async def deliver(self, job: Job, images: list[ProviderImage]) -> None:
        """Photos (documents when Telegram cannot take them as photos), with the buttons."""
        if job.kind is JobKind.UPSCALE:  # full resolution: a document is not recompressed
            prepared = [_as_document(image) for image in images[:1]]
        else:
            prepared = [await fitted(image) for image in images[:MEDIA_GROUP_MAX]]
        prepared, spoilers = _behind_spoilers(job, prepared)
        caption, entities = caption_of(job, len(prepared))
        if prepared:  # the size the Details button tells (bot/results/details.py)
            info = inspect_image(prepared[0].data, decode=False)
            job.result_size = f"{info.width}x{info.height}"
        keyboard = result_keyboard(job)
        sent: Sequence[Message]
        try:
            if len(prepared) == 1:
                sent = [
                    await self._send_one(job, prepared[0], caption, entities, keyboard, spoilers[0])
                ]
            else:
                sent = await self._send_album(job, prepared, caption, entities, spoilers)
        except NetworkError as exc:
            if isinstance(exc, BadRequest):  # refused: certainly not sent
                raise
            # No answer (a timeout, a 5xx): the photos may have arrived. Never sent twice.
            raise DeliveryUncertain(job.id, f"Telegram did not answer: {exc.message}") from exc
        if len(prepared) > 1 and keyboard is not None:  # an album cannot carry buttons
            await self._send_album_buttons(job, album_keyboard(job, len(sent)))
        job.result_file_ids = [file_id for m in sent if (file_id := _file_id(m))]
        await self._remove_status(job)

    def _upload(self, job: Job, index: int, image: Prepared, *, attach: bool = False) -> InputFile:
        """``attach``: for an album item, which names its file part (``attach://...``)."""
        filename = f"fulmine-{job.id[:8]}-{index}.{image.extension}"
        return InputFile(image.data, filename=filename, attach=attach)

    async def _send_one(
        self,
        job: Job,
        image: Prepared,
        caption: str,
        entities: list[MessageEntity],
        keyboard: InlineKeyboardMarkup | None,
        spoiler: bool = False,
    ) -> Message:
        if image.as_photo:
            try:
                return await self._bot.send_photo(
                    job.chat_id,
                    self._upload(job, 0, image),
                    caption=caption,
                    caption_entities=entities or None,
                    reply_parameters=self._reply_to(job),
                    reply_markup=keyboard,
                    has_spoiler=spoiler or None,
                )
            except BadRequest as exc:  # Telegram would not make a photo of it
                if spoiler:  # a document cannot be hidden behind a spoiler
                    raise
                log.warning("photo_refused_sending_document", error=exc.message)
        return await self._bot.send_document(
            job.chat_id,
            self._upload(job, 0, image),
            caption=caption,
            caption_entities=entities or None,
            reply_parameters=self._reply_to(job),
            reply_markup=keyboard,
        )

    async def _send_album(
        self,
        job: Job,
        images: Sequence[Prepared],
        caption: str,
        entities: list[MessageEntity],
        spoilers: Sequence[bool],
    ) -> Sequence[Message]:
        captions = [(caption, entities or None)] + [(None, None)] * (len(images) - 1)
        if all(image.as_photo for image in images):
            photos = [
                InputMediaPhoto(
                    self._upload(job, i, image, attach=True),
                    text,
                    caption_entities=marks,
                    has_spoiler=spoilers[i] or None,
                )
                for i, (image, (text, marks)) in enumerate(zip(images, captions, strict=True))
            ]
            try:
                return await self._bot.send_media_group(
                    job.chat_id, photos, reply_parameters=self._reply_to(job)
                )
            except BadRequest as exc:
                if any(spoilers):  # documents cannot be hidden behind a spoiler
                    raise
                log.warning("photos_refused_sending_documents", error=exc.message)
        # Telegram does not mix photos and documents in one album.
        documents = [
            InputMediaDocument(
                self._upload(job, i, image, attach=True), text, caption_entities=marks
            )
            for i, (image, (text, marks)) in enumerate(zip(images, captions, strict=True))
        ]
        return await self._bot.send_media_group(
            job.chat_id, documents, reply_parameters=self._reply_to(job)
        )

    async def report_failure(self, job: Job, error: BaseException) -> None:
        await report_failure(self._bot, job, error)

    async def _send_album_buttons(self, job: Job, keyboard: InlineKeyboardMarkup) -> None:
        """The album is out, so the job is delivered whatever becomes of its buttons."""
        try:
            await self._bot.send_message(
                job.chat_id,
                texts.text("result_buttons", job.language),
                reply_parameters=self._reply_to(job),
                reply_markup=keyboard,
            )
        except TelegramError as exc:
            log.warning("album_buttons_not_sent", error=repr(exc))

    async def _remove_status(self, job: Job) -> None:
        if job.status_message_id is None:
            return
        try:
            await self._bot.delete_message(job.chat_id, job.status_message_id)
        except TelegramError as exc:  # already gone, or too old to delete: harmless
            log.info("status_delete_failed", error=repr(exc))
