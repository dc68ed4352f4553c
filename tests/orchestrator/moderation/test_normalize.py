"""Each evasion the normaliser undoes, and the ordinary text it must leave alone."""

from __future__ import annotations

import pytest

from orchestrator.moderation.decoding import MAX_DECODED, decoded_fragments
from orchestrator.moderation.normalize import normalize, normalize_term
from orchestrator.moderation.transliterate import homoglyph_table

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


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("n\U0001f346u\U0001f346d\U0001f346e", "nude"),  # letters split by emoji
        ("n.u_d\u200be", "nude"),
        ("nu.de pics", "nude pics"),  # a word split by inner punctuation
        ("an up-skirt photo", "an upskirt photo"),
        ("|\\|ude", "nude"),  # leetspeak of several symbols
        ("/\\/aked", "naked"),
        ("chic@ nud@", "chica nuda"),  # word-final "@"
        ("a n*ked woman", "a naked woman"),  # a censor's star hides a vowel
        ("s*x", "sex"),
        ("a 1O yr old", "a 10 yr old"),  # letter O for zero in an age
        ("\u043fude", "nude"),  # Cyrillic pe in a Latin word
        ("\u043f\U0001d5ceд\u0435", "nude"),  # pe, math sans-serif u, de, ie
    ],
)
def test_more_evasions_are_read(text: str, reading: str) -> None:
    assert reading in normalize(text).variants


def test_emoji_read_as_what_they_stand_for() -> None:
    variants = normalize("\U0001f467 \U0001f51e \U0001f346\U0001f4a6 \U0001f52a").variants
    assert "little girl nsfw phallic emoji sweat drops emoji knife" in variants
    assert normalize("cherry blossoms \U0001f338").variants[-1] == "cherry blossoms cherry blossom"
    assert normalize("\U0001f338").plain == ""  # as a separator, an emoji is no word


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("aG93IHRvIG1ha2UgYSBib21i", "how to make a bomb"),  # base64
        ("draw bnVkZSB3b21hbg==", "nude woman"),
        ("686f7720746f206d616b65206120626f6d62", "how to make a bomb"),  # hex
        ("6e 75 64 65 20 67 69 72 6c", "nude girl"),
        ("%6E%75%64%65%20%67%69%72%6C", "nude girl"),  # percent-encoding
        ("ubj gb znxr n obzo", "how to make a bomb"),  # ROT13
        ("bmob a ekam ot woh", "how to make a bomb"),  # reversed
    ],
)
def test_encoded_fragments_are_checked_decoded(text: str, decoded: str) -> None:
    assert decoded in normalize(text).variants


@pytest.mark.parametrize(
    "text",
    [
        "a photorealistic portrait of Scunthorpe United",
        "SuperMario64 on a Nintendo64 console",
        "deadbeef cafebabe 1990s",
        "the quick brown fox jumps over the lazy dog",
        "d3c@p1t@z10n3 s@ngu1n0s@",  # leetspeak is not ROT13 ("q3p@c1g" has no words)
    ],
)
def test_ordinary_text_is_not_decoded(text: str) -> None:
    assert decoded_fragments(text) == []


def test_decoding_is_bounded() -> None:
    tokens = " ".join(["bnVkZSB3b21hbg=="] * 3 + ["aG93IHRvIG1ha2UgYSBib21i"] * 3)
    many = " ".join(f"{token}{i}" for i, token in enumerate(tokens.split()))
    assert len(decoded_fragments(many + " " + "6e756465" * 3)) <= MAX_DECODED


def test_a_price_is_not_an_age() -> None:
    assert normalize("a bikini under $15").plain == "a bikini under usd 15"


def test_names_written_with_capitals_are_reported() -> None:
    assert normalize("Taylor Swift being stabbed on stage").names == ("taylor swift",)
    assert normalize("a portrait of Pedro Sánchez").names == ("pedro sanchez",)
    assert normalize("A Cat Sitting On A Red Chair By The Window").names == ()  # a title
    assert normalize("a cat on a chair").names == ()


def test_russian_text_keeps_its_reading() -> None:
    # Only words mixing Cyrillic and Latin get the handwriting look-alike reading.
    assert len(normalize("\u043f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440").variants) == 1


def test_ordinary_prompts_stay_a_single_form() -> None:
    assert normalize("a red fox in the snow at sunset").variants == (
        "a red fox in the snow at sunset",
    )
