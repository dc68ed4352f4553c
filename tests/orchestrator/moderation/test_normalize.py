"""Each evasion the normaliser undoes, and the ordinary text it must leave alone."""

from __future__ import annotations

import pytest

from orchestrator.moderation.normalize import homoglyph_table, normalize, normalize_term

ZERO_WIDTH_SPACE, ZERO_WIDTH_JOINER, SOFT_HYPHEN, RTL_OVERRIDE = (
    "\u200b",
    "\u200d",
    "\xad",
    "\u202e",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NUDE Woman", "nude woman"),
        ("n\u00fcde w\u00f6man", "nude woman"),  # diacritics
        ("n\u0308u\u0301d\u0300e", "nude"),  # stacked combining marks
        (f"nu{ZERO_WIDTH_SPACE}de", "nude"),
        (f"n{ZERO_WIDTH_JOINER}u{SOFT_HYPHEN}d{RTL_OVERRIDE}e", "nude"),
        ("\uff4e\uff55\uff44\uff45", "nude"),  # full-width
        ("\U0001d427\U0001d42e\U0001d41d\U0001d41e", "nude"),  # mathematical bold
        ("\u0440orn", "porn"),  # Cyrillic er
        ("\u0455\u0435\u0445", "sex"),  # Cyrillic dze, ie, ha
        ("\u043dentai", "hentai"),  # Cyrillic en looks like a small capital H
        ("yo\u03c5ng", "young"),  # Greek upsilon
        ("n u d e", "nude"),
        ("n.u.d.e", "nude"),
        ("n-u-d-e pics", "nude pics"),
        ("n_u_d_e", "nude"),
        ("nude\nwoman\tnow", "nude woman now"),
        ("12-year-old", "12 year old"),
    ],
)
def test_plain_form_undoes_evasions(text: str, expected: str) -> None:
    assert normalize(text).plain == expected


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("s3x", "sex"),
        ("$ex", "sex"),
        ("a$$hole", "asshole"),
        ("sh!t", "shit"),
        ("k1ll", "kill"),  # 1 as i
        ("ki11", "kill"),  # 1 as l
        ("l0l1 h3nt@i", "loli hentai"),
        ("s 3 x", "sex"),
        ("nuuuude", "nude"),
        ("seeexxx", "sex"),
    ],
)
def test_leetspeak_and_stretching_are_read(text: str, reading: str) -> None:
    assert reading in normalize(text).variants


def test_ordinary_text_keeps_its_numbers_and_punctuation_meaning() -> None:
    normalized = normalize("a 3d render in 4k, 1990s style. wow!")
    assert normalized.plain == "a 3d render in 4k 1990s style wow"
    assert normalized.variants[0] == normalized.plain
    assert all("wowi" not in variant for variant in normalized.variants)
    assert normalized.spelled == ()


def test_words_spelled_out_letter_by_letter_are_reported() -> None:
    assert normalize("s e x y k i d").spelled == ("sexykid",)
    assert normalize("a b").spelled == ()  # two letters are not a spelled word


def test_homoglyph_table_comes_from_the_unicode_data() -> None:
    table = homoglyph_table()
    assert len(table) > 1000
    assert table[ord("\u0430")] == "a"  # Cyrillic a
    assert table[ord("\u041e")] == "o"  # Cyrillic capital O is the letter, not zero
    assert all(len(target) == 1 and target.isascii() for target in table.values())


def test_terms_are_normalised_like_prompts() -> None:
    assert normalize_term("Pre-Teen") == "pre teen"
    assert normalize_term("  ") == ""
