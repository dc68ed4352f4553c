"""Reading commands out of message text and captions."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, MessageEntity

CAPTION_LIMIT = 1024  # Telegram counts UTF-16 code units


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # lower case, without the slash and @botname
    addressee: str | None  # the @botname part, if any
    argument: str  # everything after the command, stripped


def parse_command(text: str | None, entities: tuple[MessageEntity, ...]) -> Command | None:
    """The command a text (or caption) starts with, as Telegram marked it."""
    if not text:
        return None
    lead = next(
        (e for e in entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None
    )
    if lead is None:
        return None
    # Entity offsets count UTF-16 code units. A cut inside a surrogate pair, or a lone
    # surrogate in the text, becomes U+FFFD instead of an exception.
    utf16 = text.encode("utf-16-le", errors="surrogatepass")
    command = utf16[: lead.length * 2].decode("utf-16-le", errors="replace")
    rest = utf16[lead.length * 2 :].decode("utf-16-le", errors="replace")
    name, _, addressee = command[1:].partition("@")
    return Command(name=name.lower(), addressee=addressee or None, argument=rest.strip())


def message_command(message: Message) -> Command | None:
    if message.text is not None:
        return parse_command(message.text, message.entities)
    return parse_command(message.caption, message.caption_entities)


def is_for_bot(command: Command, bot_username: str | None) -> bool:
    if command.addressee is None:
        return True
    return bot_username is not None and command.addressee.lower() == bot_username.lower()


def cut_to_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """Cut to Telegram's caption limit, counted in UTF-16 code units, with an ellipsis."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    budget = (limit - 1) * 2
    cut = text.encode("utf-16-le")[:budget].decode("utf-16-le", errors="ignore")
    return cut.rstrip() + "…"
