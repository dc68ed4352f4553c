from __future__ import annotations

from telegram import MessageEntity

from bot.intake.commands import cut_to_caption, is_for_bot, parse_command


def _cmd(length: int) -> tuple[MessageEntity, ...]:
    return (MessageEntity(MessageEntity.BOT_COMMAND, 0, length),)


def test_parse_command_with_botname_and_multiline_argument() -> None:
    command = parse_command("/Generate@Fulmine_Bot  a fox\nin snow ", _cmd(21))
    assert command is not None
    assert command.name == "generate"
    assert command.addressee == "Fulmine_Bot"
    assert command.argument == "a fox\nin snow"
    assert is_for_bot(command, "fulmine_bot")
    assert not is_for_bot(command, "other_bot")


def test_no_leading_command_entity_means_no_command() -> None:
    assert parse_command("hello /generate x", (MessageEntity("bot_command", 6, 9),)) is None
    assert parse_command("/generate x", ()) is None
    assert parse_command(None, _cmd(9)) is None


def test_argument_after_astral_characters_is_cut_by_utf16_offsets() -> None:
    command = parse_command("/gen 🦊 fox", _cmd(4))
    assert command is not None
    assert command.argument == "🦊 fox"


def test_cut_to_caption_counts_utf16_units() -> None:
    assert cut_to_caption("short") == "short"
    cut = cut_to_caption("🦊" * 600)  # 1200 UTF-16 units
    assert len(cut.encode("utf-16-le")) // 2 <= 1024
    assert cut.endswith("…")
    exact = "a" * 1024
    assert cut_to_caption(exact) == exact


def test_odd_offsets_and_lone_surrogates_never_raise() -> None:
    inside_pair = parse_command("/gen🦊 x", _cmd(5))  # cuts the fox's surrogate pair
    assert inside_pair is not None
    assert inside_pair.name == "gen\ufffd"
    lone = parse_command("/gen \ud83d fox", _cmd(4))
    assert lone is not None
    assert lone.argument == "\ufffd fox"
    beyond = parse_command("/gen", _cmd(999))
    assert beyond is not None
    assert (beyond.name, beyond.argument) == ("gen", "")
