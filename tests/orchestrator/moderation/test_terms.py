"""Term list files: their format, word boundaries, the allow-list, and settings that
replace or extend the bundled lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestrator.moderation import Category, Moderator, Policy
from orchestrator.moderation.errors import TermListError
from orchestrator.moderation.normalize import normalize
from orchestrator.moderation.terms import TermLists, parse_terms
from tests.orchestrator.moderation.conftest import SettingsFactory


def _lists(text: str, allow: list[str] | None = None) -> TermLists:
    return TermLists(parse_terms(Category.VIOLENCE, text, "test.txt"), allow or [])


def _found(lists: TermLists, prompt: str) -> dict[str, float]:
    return {match.term: match.weight for match in lists.match(normalize(prompt))}


def test_entries_weights_wildcards_plurals_and_patterns() -> None:
    lists = _lists(
        "# a comment\n"
        "gore\n"
        "behead*   # trailing comment\n"
        "*bath*\n"
        "bloody | 0.4\n"
        "re:(?:[1-9]|1[0-7]) ?yo | 0\n"
    )
    assert _found(lists, "gores and beheadings") == {"gore": 1.0, "behead*": 1.0}
    assert _found(lists, "a bloodbath") == {"*bath*": 1.0}
    assert _found(lists, "Bloody Mary") == {"bloody": 0.4}
    assert _found(lists, "a 12yo and a 40yo") == {"12yo": 0.0}  # patterns report the text


def test_whole_words_only() -> None:
    lists = _lists("cock\ncunt\nsex\nass\n")
    for prompt in ("Scunthorpe United", "a cocktail party", "Essex", "a classic bass guitar"):
        assert _found(lists, prompt) == {}, prompt
    assert _found(lists, "sex") == {"sex": 1.0}


def test_longer_entries_win_where_both_start() -> None:
    lists = _lists("child | 0\nchild porn\n")
    assert _found(lists, "child porn") == {"child porn": 1.0}


def test_allow_list_hides_only_its_own_words() -> None:
    lists = _lists("shooting\nbreast | 0.6\n", allow=["shooting star", "breast stroke"])
    assert _found(lists, "a shooting star over the desert") == {}
    assert _found(lists, "breast stroke swimming") == {}
    assert _found(lists, "a shooting star, then a shooting") == {"shooting": 1.0}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("gore\nbad | 2\n", 2, "weight must be between 0 and 1"),
        ("gore\n\nbad | x\n", 3, "could not convert"),
        ("re:(unclosed | 1\n", 1, "missing )"),
        ("*** | 1\n", 1, "has no letters or digits"),
    ],
)
def test_malformed_lines_are_named(text: str, line: int, reason: str) -> None:
    with pytest.raises(TermListError) as caught:
        parse_terms(Category.VIOLENCE, text, "lists/violence.txt")
    assert caught.value.path == "lists/violence.txt"
    assert caught.value.line == line
    assert reason in caught.value.reason


def test_bundled_lists_cover_every_term_category() -> None:
    lists = TermLists.load()
    for category in (c for c in Category if c is not Category.ABUSE):
        assert lists.terms[category], category
    assert "breast stroke" in lists.allow
    assert "shooting star" in lists.allow


async def test_terms_dir_replaces_the_bundled_lists(
    tmp_path: Path, moderation_settings: SettingsFactory
) -> None:
    (tmp_path / "violence.txt").write_text("pillow fight\n", encoding="utf-8")
    (tmp_path / "sexual.txt").write_text("nude\n", encoding="utf-8")
    (tmp_path / "minors.txt").write_text("kid | 0\n", encoding="utf-8")
    moderator = Moderator(moderation_settings(moderation_terms_dir=str(tmp_path)))
    await moderator.start()
    try:
        pillow = await moderator.check_prompt("a pillow fight", Policy.STANDARD)
        assert (pillow.allowed, pillow.category) == (False, Category.VIOLENCE)
        gore = await moderator.check_prompt("gore", Policy.STANDARD)  # not in the new lists
        assert gore.allowed
        rule = await moderator.check_prompt("nude kid", Policy.OFF)
        assert (rule.allowed, rule.category) == (False, Category.MINORS)
    finally:
        await moderator.stop()


async def test_allow_terms_setting_extends_the_allow_list(
    moderation_settings: SettingsFactory,
) -> None:
    moderator = Moderator(moderation_settings(moderation_allow_terms="Nude Beach Volleyball"))
    await moderator.start()
    try:
        allowed = await moderator.check_prompt("a nude beach volleyball poster")
        assert allowed.allowed
        still_blocked = await moderator.check_prompt("a nude beach")
        assert (still_blocked.allowed, still_blocked.category) == (False, Category.SEXUAL)
    finally:
        await moderator.stop()


async def test_a_broken_terms_dir_fails_start(
    tmp_path: Path, moderation_settings: SettingsFactory
) -> None:
    (tmp_path / "hate.txt").write_text("ok\nbad | 7\n", encoding="utf-8")
    moderator = Moderator(moderation_settings(moderation_terms_dir=str(tmp_path)))
    with pytest.raises(TermListError) as caught:
        await moderator.start()
    assert caught.value.line == 2
    assert not moderator.started


def test_terms_dir_must_exist(moderation_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation_settings(moderation_terms_dir="/no/such/folder")
    assert "moderation_terms_dir" in str(caught.value)


def test_words_spelled_out_letter_by_letter_are_searched_inside() -> None:
    lists = TermLists(
        [
            *parse_terms(Category.SEXUAL, "sexy | 0.5\nass | 0.5\n", "sexual.txt"),
            *parse_terms(Category.MINORS, "kid | 0\n", "minors.txt"),
            *parse_terms(Category.VIOLENCE, "massacre\nkill myself\n", "violence.txt"),
        ],
        [],
    )
    assert _found(lists, "s e x y k i d") == {"sexy": 0.5, "kid": 0.0}
    assert _found(lists, "k.i.l.l m.y.s.e.l.f") == {"kill myself": 1.0}
    # A spelled word that is itself a term is not searched inside: no "ass" in massacre.
    assert _found(lists, "m a s s a c r e") == {"massacre": 1.0}


def _rules(text: str) -> TermLists:
    return TermLists(parse_terms(Category.ILLEGAL, text, "illegal.txt"), [])


def test_parts_score_only_through_their_rules() -> None:
    lists = _rules(
        "bomb | @explosive\nrecipe | @howto\nstep by step | @howto\n@explosive + @howto | 1.0\n"
    )
    assert _found(lists, "a bomb in a war film") == {}
    assert _found(lists, "a cake recipe") == {}
    assert _found(lists, "a bomb recipe") == {"bomb + recipe": 1.0}
    assert _found(lists, "step by step, then a b0mb") == {"bomb + step by step": 1.0}


def test_a_rule_within_words_needs_its_parts_close() -> None:
    lists = _rules("skull | @body\nsplit open | @act\n@body + @act within 2 | 1.0\n")
    assert _found(lists, "a skull split open") == {"skull + split open": 1.0}
    assert _found(lists, "split open, the old skull") == {"skull + split open": 1.0}
    assert _found(lists, "a skull on a shelf and a melon split open") == {}


def test_a_part_named_twice_needs_two_different_words() -> None:
    lists = _rules("phallic emoji | @emoji\npeach emoji | @emoji\n@emoji + @emoji | 0.6\n")
    assert _found(lists, "\U0001f351 and \U0001f351") == {}
    assert _found(lists, "\U0001f346\U0001f351") == {"phallic emoji + peach emoji": 0.6}


def test_names_written_with_capitals_are_a_part() -> None:
    lists = _rules("<name> | @person\nbeing stabbed | @harm\n@person + @harm within 3 | 1.0\n")
    assert _found(lists, "Taylor Swift being stabbed") == {"taylor swift + being stabbed": 1.0}
    assert _found(lists, "a man being stabbed") == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("bomb | @Bomb\n", "a part is named like @bomb_words"),
        ("@a + | 1.0\n", "a rule looks like"),
        ("a | @a\nb | @b\nc | @c\n@a + @b + @c within 2 | 1\n", "'within' joins exactly two parts"),
    ],
)
def test_malformed_rules_are_named(text: str, reason: str) -> None:
    with pytest.raises(TermListError) as caught:
        parse_terms(Category.ILLEGAL, text, "illegal.txt")
    assert reason in caught.value.reason


def test_a_rule_naming_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="names parts no list has"):
        _rules("bomb | @explosive\n@explosive + @howto | 1.0\n")


def test_a_look_behind_keeps_its_width_in_spelled_out_words() -> None:
    # The spelled-out twin makes spaces optional, which a look-behind must not get.
    lists = TermLists(
        parse_terms(Category.MINORS, "re:(?<!hace )12 anos | 0\n", "minors.es.txt"), []
    )
    assert _found(lists, "tiene 12 anos") == {"12 anos": 0.0}
    assert _found(lists, "hace 12 anos") == {}


def test_language_files_and_abuse_lists_are_loaded() -> None:
    lists = TermLists.load()
    entries = {term.entry for terms in lists.terms.values() for term in terms}
    assert {"desnuda*", "nackt", "ciplak*", "telanjang"} <= entries
    assert lists.terms[Category.ABUSE]  # insults the English profanity model cannot read
    assert {"explosive", "howto", "person", "group"} <= set(lists.parts)
    assert TermLists.load() is lists  # compiled once per process


def test_spelled_out_words_after_a_one_letter_word() -> None:
    lists = TermLists(
        [
            *parse_terms(Category.SEXUAL, "naked\n", "sexual.txt"),
            *parse_terms(Category.MINORS, "anak | 0\n", "minors.id.txt"),
        ],
        [],
    )
    # "a n a k e d" is "a" + "naked", not a word with "anak" inside.
    assert _found(lists, "a n_a_k_e_d selfie") == {"naked": 1.0}
