"""``/models`` and ``/settings``: the catalog with prices, and a user's defaults.

``/models`` lists every model a user can pick (``GET /api/v1/models`` serves the same
entries), with a button per generate and edit model that makes it the user's default.
``/settings`` shows the user's defaults with buttons to change them: aspect ratio, number
of images, prompt enhancement, and the language the bot answers in (each available
language by its own name, or "Automatic": the language of the user's Telegram app); in a
group, also the group's handling of flagged images (``bot.account.chat_safety``). Presses
carry ``m:<model>``, ``s:<key>:<value>`` or ``g:fl:<choice>`` (at most 40 bytes; Telegram
allows 64) and are checked again before anything is saved.
"""

from __future__ import annotations

import structlog
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import answers, texts
from bot.account.chat_safety import ChatSafety, safety_row, safety_text
from bot.intake.identity import sender_of
from bot.language import language_of, native_name, with_choice
from orchestrator.catalog import KINDS, Catalog
from orchestrator.frontend import JobSubmitter
from orchestrator.moderation.flagged import is_group
from orchestrator.preferences import Preferences
from orchestrator.settings import Settings
from state.errors import StateError

log = structlog.get_logger(__name__)

PICKABLE = ("generate", "edit")  # an upscale has one model: nothing to choose
MENU_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
PRESS_PATTERN = r"^(m|s|g):"
LANGUAGES_PER_ROW = 3


def models_text(
    catalog: Catalog, preferences: Preferences, priced: bool, language: str | None
) -> str:
    """Every offered model by kind, the user's defaults starred."""
    lines = []
    for kind in KINDS:
        entries = catalog.visible(kind)
        if not entries:
            continue
        chosen = preferences.model_for(kind) or next(e.name for e in entries if e.default)
        lines.append(texts.text(f"models_kind_{kind}", language))
        for entry in entries:
            key = "models_line_priced" if priced else "models_line"
            lines.append(
                texts.text(
                    key,
                    language,
                    marker="★" if entry.name == chosen else "•",
                    name=entry.name,
                    price=entry.price_sats,
                    description=entry.description,
                )
            )
            if entry.loras:
                lines.append(texts.text("models_loras", language, loras=", ".join(entry.loras)))
        lines.append("")
    if not lines:
        return texts.text("models_none", language)
    return "\n".join([*lines, texts.text("models_footer", language)])


def models_keyboard(catalog: Catalog, language: str | None) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            texts.text("button_use_model", language, name=entry.name),
            callback_data=f"m:{entry.name}",
        )
        for kind in PICKABLE
        for entry in catalog.visible(kind)
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def settings_text(catalog: Catalog, preferences: Preferences, language: str | None) -> str:
    def model(kind: str) -> str:
        default = catalog.default_for(kind)
        return preferences.model_for(kind) or (default.name if default else "-")

    state = "settings_on" if preferences.enhance else "settings_off"
    return texts.text(
        "settings_text",
        language,
        generate=model("generate"),
        edit=model("edit"),
        aspect_ratio=preferences.aspect_ratio or "1:1",
        num_images=preferences.num_images or 1,
        enhance=texts.text(state, language),
    )


def settings_keyboard(
    preferences: Preferences, language: str, can_enhance: bool = True
) -> InlineKeyboardMarkup:
    ratio = preferences.aspect_ratio or "1:1"
    count = preferences.num_images or 1
    enhance = "off" if preferences.enhance else "on"
    rows = [
        [
            InlineKeyboardButton(("✓ " if r == ratio else "") + r, callback_data=f"s:ar:{r}")
            for r in MENU_RATIOS
        ],
        [
            InlineKeyboardButton(("✓ " if n == count else "") + str(n), callback_data=f"s:n:{n}")
            for n in range(1, 5)
        ],
    ]
    if can_enhance:  # offline there is no model to write prompts
        rows.append(
            [
                InlineKeyboardButton(
                    texts.text(f"button_enhance_{enhance}", language),
                    callback_data=f"s:enhance:{enhance}",
                )
            ]
        )
    return InlineKeyboardMarkup([*rows, *language_rows(preferences, language)])


def language_rows(preferences: Preferences, language: str) -> list[list[InlineKeyboardButton]]:
    """ "Automatic", then every available language by its own name; the choice ticked."""
    available = texts.available_languages()
    chosen = preferences.language if preferences.language in available else ""
    named = [("", texts.text("button_language_auto", language))]
    named += [(tag, native_name(tag)) for tag in available]
    buttons = [
        InlineKeyboardButton(("✓ " if tag == chosen else "") + name, callback_data=f"s:lang:{tag}")
        for tag, name in named
    ]
    return [buttons[i : i + LANGUAGES_PER_ROW] for i in range(0, len(buttons), LANGUAGES_PER_ROW)]


SETTING_KEYS = {"ar": "aspect_ratio", "n": "num_images", "enhance": "enhance", "lang": "language"}


class ModelMenu:
    def __init__(self, settings: Settings, submitter: JobSubmitter) -> None:
        self._settings = settings
        self._submitter = submitter
        self._safety = ChatSafety(settings, submitter)

    async def _view(
        self, preferences: Preferences, message: Message, language: str
    ) -> tuple[str, InlineKeyboardMarkup]:
        """The settings text and buttons; in a group, with the group's flagged images."""
        text = settings_text(self._submitter.catalog, preferences, language)
        keyboard = settings_keyboard(preferences, language, self._submitter.can_enhance)
        handling = await self._safety.handling(message)
        if handling is None:
            return text, keyboard
        rows = [*keyboard.inline_keyboard, safety_row(handling, self._settings, language)]
        extra = safety_text(handling, self._settings, language)
        return f"{text}\n\n{extra}", InlineKeyboardMarkup(rows)

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        new = filters.UpdateType.MESSAGE
        return [
            CommandHandler("models", self.models, filters=new),
            CommandHandler("settings", self.settings, filters=new),
            CallbackQueryHandler(self.press, pattern=PRESS_PATTERN),
        ]

    async def models(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None or sender is None:
            return
        language = language_of(update)
        catalog = self._submitter.catalog
        try:
            preferences = await self._submitter.preferences(sender.id)
        except StateError:
            preferences = Preferences()  # the list matters more than the stars
        priced = self._settings.payments_backend != "none"
        text = models_text(catalog, preferences, priced, language)
        await answers.at_least_once(
            lambda: message.reply_text(text, reply_markup=models_keyboard(catalog, language))
        )

    async def settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, sender = update.effective_message, sender_of(update)
        if message is None or sender is None:
            return
        language = language_of(update)
        try:
            if context.args and is_group(message.chat.type):  # "/settings spoiler"
                await self._safety.command(update, context.bot, context.args[0])
                return
            preferences = await self._submitter.preferences(sender.id)
            text, keyboard = await self._view(preferences, message, language)
        except StateError:
            await answers.reply(message, texts.text("state_unavailable", language))
            return
        await answers.at_least_once(lambda: message.reply_text(text, reply_markup=keyboard))

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, sender = update.callback_query, sender_of(update)
        assert query is not None  # guaranteed by CallbackQueryHandler
        language = language_of(update)
        if sender is None:
            await _answer(query, texts.text("button_expired", language))
            return
        kind, _, rest = (query.data or "").partition(":")
        message = query.message if isinstance(query.message, Message) else None
        try:
            if kind == "g":
                if message is None:
                    await _answer(query, texts.text("button_expired", language))
                    return
                key, fields = await self._safety.choose(
                    update, context.bot, message, rest.partition(":")[2]
                )
                await _answer(query, texts.text(key, language, **fields))
                if key != "flagged_saved":
                    return
                preferences = await self._submitter.preferences(sender.id)
                await self._redraw(query, preferences, message, language)
                return
            if kind == "m":
                saved = await self._submitter.set_default_model(sender.id, rest)
                entry = self._submitter.catalog.get(rest) if saved else None
                if entry is None:
                    await _answer(query, texts.text("button_expired", language))
                    return
                note = texts.text("model_default_set", language, name=entry.name, kind=entry.kind)
                await _answer(query, note)
                return
            if message is not None and not _own_settings(message, sender.id):
                await _answer(query, texts.text("settings_foreign", language))
                return
            key, _, value = rest.partition(":")
            setting = SETTING_KEYS.get(key)
            saved_value: str | None = value
            if setting == "language":  # empty: automatic; else a language with a file
                saved_value = value or None
                if value and value not in texts.available_languages():
                    setting = None
            if setting is None or not await self._submitter.set_preference(
                sender.id, setting, saved_value
            ):
                await _answer(query, texts.text("button_expired", language))
                return
            preferences = await self._submitter.preferences(sender.id)
            if setting == "language":  # answered in the language just chosen
                language = with_choice(update, preferences.language)
        except StateError as exc:
            log.error("preferences_not_saved", error=repr(exc))
            await _answer(query, texts.text("state_unavailable", language))
            return
        await _answer(query, texts.text("settings_saved", language))
        if message is not None:
            await self._redraw(query, preferences, message, language)

    async def _redraw(
        self,
        query: CallbackQuery,
        preferences: Preferences,
        message: Message,
        language: str,
    ) -> None:
        try:
            text, keyboard = await self._view(preferences, message, language)
            await query.edit_message_text(text, reply_markup=keyboard)
        except (TelegramError, StateError) as exc:  # cosmetic: the setting is saved
            log.info("settings_not_redrawn", error=repr(exc))


def _own_settings(message: Message, presser: int) -> bool:
    """Whether the settings ``message`` shows are ``presser``'s: in a group, it answers
    their ``/settings``. Unknown (the command is gone, or sent on a chat's behalf, whose
    presser Telegram names as a person): taken as theirs."""
    asked = message.reply_to_message
    if asked is None or asked.sender_chat is not None or not is_group(message.chat.type):
        return True
    return asked.from_user is None or asked.from_user.id == presser


async def _answer(query: CallbackQuery, text: str) -> None:
    """Stop the button's spinner with a short note; an old query is no reason to fail."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("callback_answer_failed", error=repr(exc))
