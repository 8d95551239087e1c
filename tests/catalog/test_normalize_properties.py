"""More properties of the one normaliser: input from the wire, and the folds as equivalences.

tests/catalog/test_normalize.py proves idempotence and the shape of the output on text
Hypothesis draws by default, which never holds a lone surrogate; a Telegram update can
(JSON's "\\ud800" decodes to one), so totality is proved here over every code point. The rest
states each fold as "these two spellings are the same key", which is what the router and the
search rely on: a parent who types the accent, the capital, the haraka, the tatweel or the
Arabic-Indic digit must land on the same key as one who does not.
"""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalog.normalize import normalize, stem, tokens

# Every code point, lone surrogates included (Hypothesis leaves category Cs out by default).
wire_text = st.text(st.characters(exclude_categories=()))

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"
# Fathatan to sukun, superscript alef (dagger alef), and the Quranic marks after them.
HARAKAT = [chr(code) for code in range(0x064B, 0x0660)] + ["\u0670"]
TATWEEL = "ـ"
ARABIC_LETTERS = [chr(code) for code in range(0x0621, 0x064B) if chr(code) != TATWEEL]
SPANISH_ACCENTED = "áéíóúüñÁÉÍÓÚÜÑ"

# Words as parents type them in the three languages: Latin with accents, Arabic letters,
# digits of both kinds, separated by spaces and punctuation.
message_text = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ¿?¡!.,"
        + SPANISH_ACCENTED
        + ARABIC_INDIC
        + "".join(ARABIC_LETTERS)
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(wire_text)
@example("\ud800")
@example("hola \udfff\ud83d adiós")
def test_normalize_and_tokens_take_any_string_from_the_wire(text: str) -> None:
    once = normalize(text)

    assert normalize(once) == once
    assert all(normalize(token) == token for token in tokens(text))
    assert all(stem(token) for token in tokens(text))


@settings(max_examples=300)
@given(wire_text)
def test_no_arabic_indic_digit_survives_in_any_text(text: str) -> None:
    assert not set(normalize(text)) & set(ARABIC_INDIC + EXTENDED_ARABIC_INDIC)


def _digits_to(text: str, digits: str) -> str:
    return text.translate(str.maketrans("0123456789", digits))


@given(message_text, st.sampled_from([ARABIC_INDIC, EXTENDED_ARABIC_INDIC]))
@example("الجلسة 2 و 10", ARABIC_INDIC)
def test_arabic_indic_digits_inside_a_message_read_as_ascii(text: str, digits: str) -> None:
    assert normalize(_digits_to(text, digits)) == normalize(text)


@settings(max_examples=300)
@given(wire_text)
@example("ǅ")  # a titlecase letter
@example("ẞ")  # capital sharp s: lower "ß", casefold "ss"
def test_lower_and_casefolded_spellings_are_the_same_key(text: str) -> None:
    assert normalize(text.lower()) == normalize(text)
    assert normalize(text.casefold()) == normalize(text)


@given(message_text)
@example("PRÓXIMA SESIÓN ÑANDÚ")
def test_capitals_in_the_three_languages_are_the_same_key(text: str) -> None:
    # Upper-casing is not folded everywhere (Turkish dotless "ı" uppercases to "I"), but it
    # is for every letter a parent writing English, Spanish or Arabic uses.
    assert normalize(text.upper()) == normalize(text)


@given(message_text)
def test_composed_and_decomposed_accents_are_the_same_key(text: str) -> None:
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text)
    assert normalize(unicodedata.normalize("NFC", text)) == normalize(text)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@given(message_text)
@example("¿Cuándo es la próxima sesión? Sí, año")
def test_spanish_words_without_their_accents_are_the_same_key(text: str) -> None:
    assert normalize(_strip_accents(text)) == normalize(text)


# An Arabic word decorated as people and keyboards decorate it: harakat after a letter,
# tatweel between letters.
arabic_decorated = st.lists(
    st.tuples(
        st.sampled_from(ARABIC_LETTERS),
        st.lists(st.sampled_from(HARAKAT), max_size=2),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=12,
)


@given(arabic_decorated)
@example([("م", ["\u064e"], 0), ("ت", ["\u064e"], 2), ("ى", [], 0)])
def test_harakat_and_tatweel_never_change_an_arabic_key(
    letters: list[tuple[str, list[str], int]],
) -> None:
    plain = "".join(letter for letter, _, _ in letters)
    decorated = "".join(
        letter + "".join(marks) + TATWEEL * stretch for letter, marks, stretch in letters
    )

    out = normalize(decorated)

    assert out == normalize(plain)
    assert not set(out) & {*HARAKAT, TATWEEL}


@given(message_text, st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u3000"])))
def test_extra_white_space_is_the_same_key(text: str, spaces: list[str]) -> None:
    words = text.split()
    padded = "".join(
        f"{spaces[index % len(spaces)] if spaces else ' '}{word} "
        for index, word in enumerate(words)
    )

    assert normalize(padded) == normalize(text)
