"""Tables and small readers behind the normaliser's extra forms of a prompt: what emoji
stand for, leetspeak written with several symbols, Cyrillic letters that only look like
Latin ones in handwriting or italics, letters hidden behind ``*``, and names written with
capitals ("Taylor Swift"), which the term lists can name as a part (``<name>``).
"""

from __future__ import annotations

import re

# Emoji, by the name anyascii gives them (":eggplant:"), whose meaning in a prompt is not
# their name. Innuendo emoji read as "<name> emoji" so the lists can weigh them apart from
# the fruit ("eggplant parmesan"); the others as the word they stand for. Emoji not listed
# here read as their name ("fire", "cherry blossom").
EMOJI_MEANINGS: dict[str, str] = {
    "eggplant": "phallic emoji",
    "peach": "peach emoji",
    "sweat_drops": "sweat drops emoji",
    "tongue": "tongue emoji",
    "lips": "lips emoji",
    "biting_lip": "biting lip emoji",
    "hot_face": "hot face emoji",
    "drooling_face": "drooling emoji",
    "smiling_imp": "devil emoji",
    "banana": "banana emoji",
    "cucumber": "cucumber emoji",
    "taco": "taco emoji",
    "cherries": "cherries emoji",
    "underage": "nsfw",  # the "no one under eighteen" sign marks adult content
    "girl": "little girl",
    "boy": "little boy",
    "child": "child",
    "baby": "baby",
    "baby_bottle": "baby bottle",
    "children_crossing": "children",
    "school_satchel": "school bag",
    "pill": "pills",
    "skull_crossbones": "skull",
    "drop_of_blood": "blood",
    "firecracker": "dynamite",
    "knot": "rope",
    "razor": "razor blade",
    "dollar": "banknotes",
    "identification_card": "id card",
}

# Leetspeak of several symbols for one letter, longest first ("|\/|" before "\/").
MULTI_LEET: tuple[tuple[str, str], ...] = (
    ("|\\/|", "m"),
    ("/\\/\\", "m"),
    ("\\/\\/", "w"),
    ("|\\|", "n"),
    ("/\\/", "n"),
    ("|_|", "u"),
    ("(_)", "u"),
    ("|-|", "h"),
    ("}{", "h"),
    ("|<", "k"),
    ("|(", "k"),
    ("|)", "d"),
    ("|>", "p"),
    ("|2", "r"),
    ("()", "o"),
    ("[]", "o"),
    ("\\/", "v"),
    ("/\\", "a"),
)
MULTI_LEET_START = frozenset(sequence[0] for sequence, _ in MULTI_LEET)

# Cyrillic letters that pass for Latin ones only in handwriting, italics or at a glance
# (Unicode's confusables table, used for every text, leaves them out). Applied only to
# words that mix them with Latin letters ("\u043fude" with a Cyrillic pe), so Russian
# text keeps its reading.
CYRILLIC_VISUAL = str.maketrans(
    {
        "\u043f": "n",  # small letter pe
        "\u041f": "n",  # capital letter pe
        "\u0438": "u",  # small letter i
        "\u0418": "u",  # capital letter i
        "\u0439": "u",  # small letter short i
        "\u0446": "u",  # small letter tse
        "\u0433": "r",  # small letter ghe
        "\u0413": "r",  # capital letter ghe
        "\u044f": "r",  # small letter ya
        "\u042f": "r",  # capital letter ya
        "\u0448": "w",  # small letter sha
        "\u0428": "w",  # capital letter sha
        "\u0449": "w",  # small letter shcha
        "\u044c": "b",  # small letter soft sign
        "\u042c": "b",  # capital letter soft sign
        "\u044a": "b",  # small letter hard sign
        "\u0431": "b",  # small letter be
        "\u0437": "3",  # small letter ze
        "\u0417": "3",  # capital letter ze
        "\u0447": "4",  # small letter che
        "\u043b": "n",  # small letter el
        "\u0434": "d",  # small letter de
    }
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def visual_cyrillic(text: str) -> str | None:
    """``text`` with handwriting look-alikes read as Latin in the words that mix Cyrillic
    and Latin letters; ``None`` when no word does."""
    changed = False
    words = text.split(" ")
    for i, word in enumerate(words):
        if _CYRILLIC.search(word) and _LATIN.search(word):
            read = word.translate(CYRILLIC_VISUAL)
            changed |= read != word
            words[i] = read
    return " ".join(words) if changed else None


# A letter hidden behind "*" inside a word ("n*ked", "s*x", "k*ll"): the censor's star
# almost always hides a vowel, so each vowel is tried.
_MASKED = re.compile(r"(?<=[a-z])\*+(?=[a-z])")


def unmasked(text: str) -> list[str]:
    """``text`` with each ``*`` between letters read as each vowel in turn (empty when
    there is none)."""
    if "*" not in text or not _MASKED.search(text):
        return []
    return [_MASKED.sub(vowel, text) for vowel in "aeiou"]


# Names written with capitals: two or three capitalised words ("Taylor Swift", "Pedro
# Sanchez"), not starting with a word that is capitalised for another reason.
_NAME = re.compile(
    r"(?<![A-Za-z])[A-Z][a-z]+"
    r"(?:[ -](?:(?:de|da|van|von|bin|al|del|di|le) )?[A-Z][a-z]+){1,2}(?![A-Za-z])"
)
_NOT_NAME_WORDS = (
    "a an the my his her our their this that these those i in on at of for with and or "
    "make draw show create generate paint render photo picture portrait image poster "
    "un una el la los las le les des une der die das ein eine il lo gli bir bu sebuah "
    "seorang yang o os as um uma"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


def capitalised_names(text: str) -> list[str]:
    """Lower-case names written with capitals in ``text`` (ASCII), unless most words are
    capitalised (a title, where capitals say nothing)."""
    words = text.split()
    capitalised = sum(word[:1].isupper() for word in words)
    if len(words) > 4 and capitalised >= 0.7 * len(words):
        return []
    names = []
    for match in _NAME.finditer(text):
        parts = match.group().replace("-", " ").split()
        while parts and parts[0].lower() in _NOT_NAMES:
            parts.pop(0)
        if len(parts) >= 2:
            names.append(" ".join(parts).lower())
    return names


# Words of our other languages that the English profanity model scores as abuse on their
# own ("die" 0.94, "negro" 0.96: the German article, the Spanish and Portuguese colour),
# hidden from it when the prompt reads as that language (two or more of its function
# words), so "ein Zug fährt durch die Alpen" is not an insult.
_FUNCTION_WORDS_TEXT = {
    "de": "der das und ein eine einer einem einen mit im auf ist nicht zu vom beim fur uber "
    "den dem des sich durch von aus nach zum zur wird sind bei ohne",
    "es": "el la los las un una con por para del y en que es sobre",
    "pt": "o a os as um uma com para do da dos das em no na e sobre",
    "it": "il lo la gli le un una con per del della di e sul sulla",
}
_FUNCTION_WORDS = {
    language: frozenset(text.split()) for language, text in _FUNCTION_WORDS_TEXT.items()
}
_FALSE_FRIENDS = {
    "de": frozenset({"die", "hell"}),
    "es": frozenset({"negro", "negra", "negros", "negras"}),
    "pt": frozenset({"negro", "negra", "negros", "negras"}),
    "it": frozenset({"negro", "negra"}),
}


def for_english_model(text: str) -> str:
    """``text`` (normalised) without the false friends of the language it reads as."""
    words = text.split()
    hidden: set[str] = set()
    for language, function_words in _FUNCTION_WORDS.items():
        if sum(word in function_words for word in words) >= 2:
            hidden |= _FALSE_FRIENDS[language]
    return " ".join(word for word in words if word not in hidden) if hidden else text
