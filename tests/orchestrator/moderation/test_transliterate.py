# ruff: noqa: RUF001 (look-alike letters are what these tests are about)
"""Words of other scripts read by their sound, disguises by their look, and the lists of a
language written in another script applied only to text in that script."""

from __future__ import annotations

import pytest

from orchestrator.moderation import Category, Moderator, Policy
from orchestrator.moderation.normalize import normalize
from orchestrator.moderation.terms import TermLists, parse_terms
from orchestrator.moderation.transliterate import scripts_in


@pytest.fixture(scope="module")
def lists() -> TermLists:
    return TermLists.load()


def _categories(lists: TermLists, text: str) -> set[Category]:
    return {match.category for match in lists.match(normalize(text))}


@pytest.mark.parametrize(
    "text",
    [
        "диск",  # disk, not "dick" through look-alike c
        "ДИСК",
        "нарисуй жёсткий диск на столе",
        "сосна и кот у моря",  # words of look-alike letters among ordinary Russian
        "Старый рот льва",
    ],
)
def test_russian_words_are_read_by_their_sound(lists: TermLists, text: str) -> None:
    assert _categories(lists, text) == set()


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("\u0440orn", "porn"),  # a Cyrillic letter slipped into a Latin word
        ("\u0455\u0435\u0445", "sex"),  # a word of look-alike letters alone
        ("a \u0455\u0435\u0445y photo", "a sexy photo"),
        ("\u043f\u0438\u0437\u0434a", "pizda"),  # a Russian word with a Latin letter in it
    ],
)
def test_disguises_are_read_by_their_look(text: str, reading: str) -> None:
    assert reading in normalize(text).variants


def test_cyrillic_reads_the_same_in_any_case() -> None:
    forms = {normalize(text).plain for text in ("голая", "Голая", "ГОЛАЯ", "гОлАя")}
    assert forms == {"golaya"}


def test_devanagari_vowel_signs_are_kept() -> None:
    assert normalize("पुरुष").plain == "purus"  # the u signs are no accents to drop
    assert normalize("पुरुष").plain != normalize("परष").plain


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("\u0661\u0662 \u0633\u0646\u0629", "12"),  # Arabic-Indic
        ("\u06f1\u06f2", "12"),  # Extended Arabic-Indic (Persian, Urdu)
        ("\u0967\u0968 \u0938\u093e\u0932", "12"),  # Devanagari
        ("\uff11\uff12", "12"),  # full-width
    ],
)
def test_digits_of_every_script_are_numbers(text: str, digits: str) -> None:
    assert normalize(text).plain.split()[0] == digits


@pytest.mark.parametrize(
    "prompt",
    [
        "فتاة عارية عمرها ١٣ سنة",
        "नंगी लड़की १३ साल",
        "голая девочка ١٢ лет",
        "Ｎｕｄｅ ｇｉｒｌ １２",  # full-width, and an age right after "girl"
    ],
)
async def test_ages_in_other_digits_trigger_the_minors_rule(
    moderator: Moderator, prompt: str
) -> None:
    decision = moderator.prompt_checker.check(prompt, Policy.OFF)
    assert not decision.allowed
    assert decision.category is Category.MINORS


def test_chinese_characters_spaced_one_by_one_read_as_written_together() -> None:
    assert normalize("裸 体 少 女").plain == normalize("裸体少女").plain
    assert "nu" not in normalize("裸 体 少 女").plain.split()  # no French "nu" alone


def test_korean_rieul_reads_r_at_a_syllables_start(lists: TermLists) -> None:
    assert normalize("롤이").plain != normalize("로리").plain
    assert Category.MINORS not in _categories(lists, "리그 오브 레전드 롤이 재밌다")


def test_the_katakana_long_vowel_is_read(lists: TermLists) -> None:
    assert normalize("ヌード").plain == "nuudo"
    assert Category.SEXUAL in _categories(lists, "女性のヌード")
    assert _categories(lists, "un nudo marinero") == set()  # Spanish: a knot


def test_scripts_of_a_text() -> None:
    assert scripts_in("a cat") == {"LATIN"}
    assert scripts_in("猫とねこ") == {"CJK"}
    assert scripts_in("кот and 고양이") == {"CYRILLIC", "LATIN", "HANGUL"}


def test_a_list_of_another_script_applies_only_to_text_in_it() -> None:
    terms = parse_terms(Category.SEXUAL, "内裤 | 1.0\nnangi | 1.0\n", "data/sexual.zh.txt")
    lists = TermLists(terms, [])
    assert {m.term for m in lists.match(normalize("内裤"))} == {"内裤"}
    assert lists.match(normalize("neiku")) == []  # its reading, in Latin text
    assert {m.term for m in lists.match(normalize("nangi"))} == {"nangi"}  # a Latin entry
    unscoped = TermLists(parse_terms(Category.SEXUAL, "内裤 | 1.0\n", "sexual.txt"), [])
    assert unscoped.match(normalize("neiku")) != []


@pytest.mark.parametrize("text", ["heroine", "heroic deeds", "heroin chic", "the heroes"])
def test_japanese_and_chinese_lists_leave_latin_words_alone(lists: TermLists, text: str) -> None:
    found = {m.term for m in lists.match(normalize(text))}
    assert all(term.isascii() for term in found), found


def test_the_english_model_reads_no_words_of_other_scripts() -> None:
    normalized = normalize("костюм шит вручную")  # "the suit is sewn by hand"
    assert "shit" in normalized.plain
    assert all("shit" not in form for form in normalized.english)
    assert normalize("a red fox").english == normalize("a red fox").variants


@pytest.mark.parametrize(
    ("prompt", "allowed"),
    [
        ("костюм шит вручную", True),
        ("бактериофаг и фаг под микроскопом", True),  # a phage, not a slur
        ("fu\u0441k \u0443\u043eu", False),  # Cyrillic look-alikes in English words
        ("you are a fucking idiot, понял", False),
    ],
)
async def test_transliterations_are_no_english_insults(
    moderator: Moderator, prompt: str, allowed: bool
) -> None:
    assert moderator.prompt_checker.check(prompt, Policy.STANDARD).allowed is allowed
