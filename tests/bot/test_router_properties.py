"""Properties of `route` over what can really arrive, and over its own keyword tables.

tests/bot/test_router.py pins real messages row by row and proves totality on Hypothesis's
default text. Here the router is fed what the wire can carry (lone surrogates from JSON's
"\\ud800", control and bidi characters, ten-thousand-character pastes) and sentences built
from its own tables, and the consent rule (design rule 1) is stated exactly: a message opts
out if and only if its words, all of them, are an opt-out word, however the word is dressed
(case, accents, harakat, tatweel, hamza, spacing, punctuation, marks, emoji).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.router import (
    BROADCAST_WORDS,
    CONSENT_HINT,
    HELP_WORDS,
    LANGUAGE_FILLERS,
    LANGUAGE_WORDS,
    MORE_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    RULES,
    STOP_IN_SENTENCE,
    UNSUBSCRIBE_LEADS,
    Intent,
    Match,
    route,
)
from catalog.normalize import tokens

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
HARAKAT = [chr(code) for code in range(0x064B, 0x0653)] + ["\u0670"]
TATWEEL = "ـ"
LATIN_ACCENTS = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308"]
ALEF_VARIANTS = ["ا", "أ", "إ", "آ", "ٱ"]
BIDI_AND_INVISIBLE = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
EMOJI = ["🛑", "✋🏽", "👍", "👨\u200d👩\u200d👧", "🇲🇽", "❤️", "#\ufe0f\u20e3", "🙏"]

PHRASES = sorted(
    {phrase for _, phrases in RULES for phrase in phrases}
    | {phrase for words in LANGUAGE_WORDS.values() for phrase in words}
    | set(UNSUBSCRIBE_LEADS)
    | LANGUAGE_FILLERS
    | OPT_OUT_WORDS
    | OPT_IN_WORDS
    | HELP_WORDS
    | MORE_WORDS
    | BROADCAST_WORDS
)

# --- what the wire can carry ----------------------------------------------------------------

# Every code point, lone surrogates included (Hypothesis leaves category Cs out by default).
any_char = st.characters(exclude_categories=())
noise_char = st.one_of(
    any_char,
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Mn"]),
    st.sampled_from(BIDI_AND_INVISIBLE + ZERO_WIDTH + TATWEEL + ARABIC_INDIC + "".join(HARAKAT)),
)
wire_piece = st.one_of(
    st.text(noise_char, max_size=12),
    st.sampled_from(PHRASES),
    st.sampled_from(EMOJI),
    st.integers(min_value=0, max_value=10_000).map(str),
)
wire_text = st.lists(wire_piece, max_size=8).map(" ".join)
# A paste of about ten thousand characters: one chunk repeated, with or without spaces.
long_text = st.tuples(
    st.text(noise_char, min_size=1, max_size=40) | st.sampled_from(PHRASES),
    st.sampled_from(["", " ", "\n"]),
    st.integers(min_value=250, max_value=10_000),
).map(lambda chunk: (chunk[0] + chunk[1]) * (chunk[2] // (len(chunk[0]) + 1) + 1))


def check_match(text: str, match: Match) -> None:
    """What every caller of `route` may rely on, whatever the text."""
    assert isinstance(match, Match)
    assert isinstance(match.intent, Intent)
    assert isinstance(match.argument, str)
    whole = " ".join(tokens(text))
    if match.intent is Intent.EMPTY:
        assert whole == ""
    if match.intent is Intent.CHOOSE:
        assert match.argument.isdigit()
        assert 1 <= len(match.argument) <= 3
        assert 0 <= int(match.argument) <= 999  # what handlers.sessions.choose does with it
    if match.intent is Intent.SET_LANGUAGE:
        assert match.argument in LANGUAGE_WORDS
    if match.intent is Intent.SEARCH:
        assert match.argument == whole


@settings(max_examples=300, deadline=None)
@given(wire_text)
@example("\ud800")
@example("STOP\udfff")
@example("\x00\x1b[31m next \u202e txen \x7f")
@example("٣\u200f)")
def test_route_is_total_and_deterministic_on_anything_the_wire_carries(text: str) -> None:
    match = route(text)

    check_match(text, match)
    assert route(text) == match


@settings(max_examples=15, deadline=None)
@given(long_text)
@example("x" * 10_000)
@example("next " * 2_000)
def test_route_is_total_on_ten_thousand_character_pastes(text: str) -> None:
    match = route(text)

    check_match(text, match)
    assert route(text) == match


# --- the consent rule, stated exactly -------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    sorted(OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS | MORE_WORDS | BROADCAST_WORDS),
)
def test_every_whole_message_word_is_written_as_the_normaliser_spells_it(word: str) -> None:
    # These sets are compared with the normalised words of a message; an entry the
    # normaliser would spell differently ("استئناف" is read as "استيناف") can never match.
    assert " ".join(tokens(word)) == word


keyword_piece = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(sorted(OPT_OUT_WORDS | OPT_IN_WORDS)),
    st.text(string.ascii_letters + "áéíóúñ", min_size=1, max_size=8),
    st.sampled_from(["?", "!", "¿", "¡", "،", "؟", "...", "🛑", "👍🏽", "#", "2", "٣", "(", ")"]),
)
keyword_text = st.lists(keyword_piece, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(keyword_text | wire_text)
@example("STOP 🛑")
@example("stop stop")
@example("¡ALTO!")
def test_a_message_opts_out_exactly_when_its_words_are_an_opt_out_word(text: str) -> None:
    whole = " ".join(tokens(text))
    match = route(text)

    assert (match.intent is Intent.OPT_OUT) == (whole in OPT_OUT_WORDS)
    assert (match.intent is Intent.OPT_IN) == (whole in OPT_IN_WORDS)
    if match.intent in (Intent.OPT_OUT, Intent.OPT_IN):
        assert match.argument == whole


# Around a whole-message word: anything a phone or a person adds that is not a word.
separator_char = st.one_of(
    st.sampled_from(" \t\n\r\u00a0\u2009\u202f\u3000" + BIDI_AND_INVISIBLE + ZERO_WIDTH),
    st.sampled_from(list(string.punctuation) + list("¿¡،؛؟…«»“”‘’—–·")),
    st.sampled_from(EMOJI),
    st.characters(categories=["P", "Z", "Cc"]),
)
separators = st.lists(separator_char, max_size=4).map("".join)
inner_separators = st.lists(separator_char, min_size=1, max_size=3).map("".join)


@st.composite
def dressed(draw: st.DrawFn, word: str) -> str:
    """`word` as a phone may deliver it: every letter in any case, with accents or harakat,
    tatweel between Arabic letters, alef with or without its hamza, full-width Latin."""
    out: list[str] = []
    for char in word:
        if char == " ":
            out.append(draw(inner_separators))
            continue
        if char == "ا":
            char = draw(st.sampled_from(ALEF_VARIANTS))
        if char.isascii():
            char = draw(st.sampled_from([char.lower(), char.upper()]))
            if draw(st.booleans()):
                char = chr(ord(char) - 0x21 + 0xFF01)  # the full-width form
            out.append(char + "".join(draw(st.lists(st.sampled_from(LATIN_ACCENTS), max_size=1))))
        else:
            marks = "".join(draw(st.lists(st.sampled_from(HARAKAT), max_size=2)))
            out.append(char + marks + TATWEEL * draw(st.integers(min_value=0, max_value=2)))
    return draw(separators) + "".join(out) + draw(separators)


def whole_message(words: frozenset[str]) -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(sorted(words)).flatmap(
        lambda word: st.tuples(st.just(word), dressed(word))
    )


@settings(max_examples=200, deadline=None)
@given(whole_message(OPT_OUT_WORDS))
@example(("stop", "  \u200fStOp\u200f!! 🛑\n"))
@example(("الغاء", "«إلْغـاء»"))
@example(("parar", "¡PÁRAR!"))
def test_an_opt_out_word_however_dressed_opts_out(word_and_text: tuple[str, str]) -> None:
    word, text = word_and_text

    assert route(text) == Match(Intent.OPT_OUT, word)


@settings(max_examples=100, deadline=None)
@given(whole_message(OPT_IN_WORDS))
@example(("si", "¡Sí!"))
@example(("ابدا", "ابدأ"))
def test_an_opt_in_word_however_dressed_opts_in(word_and_text: tuple[str, str]) -> None:
    word, text = word_and_text

    assert route(text) == Match(Intent.OPT_IN, word)


@settings(max_examples=100, deadline=None)
@given(whole_message(HELP_WORDS | MORE_WORDS))
@example(("mas por favor", "¡MÁS, por favor!"))
def test_help_and_more_words_however_dressed_keep_their_meaning(
    word_and_text: tuple[str, str],
) -> None:
    word, text = word_and_text
    intent = Intent.HELP if word in HELP_WORDS else Intent.MORE

    assert route(text) == Match(intent)


# A longer sentence around a stop word: words from the router's tables or made-up ones.
other_words = st.lists(
    st.sampled_from(PHRASES) | st.text(string.ascii_lowercase + "áéíóúñ", min_size=1, max_size=8),
    min_size=1,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    whole_message(STOP_IN_SENTENCE), other_words, st.integers(min_value=0, max_value=4), separators
)
@example(("stop", "STOP"), ["please"], 1, "")
@example(("توقف", "توقف"), ["من فضلك"], 1, "")
@example(("stop", "stop"), ["when", "is", "the", "next", "session"], 5, "?")
def test_a_stop_word_in_a_sentence_is_never_an_opt_out_but_the_consent_hint(
    word_and_text: tuple[str, str], words: list[str], position: int, ending: str
) -> None:
    _, stop = word_and_text
    words = words[:]
    words.insert(min(position, len(words)), stop)
    text = " ".join(words) + ending
    first = tokens(text)[0]

    match = route(text)

    assert match.intent is not Intent.OPT_OUT
    if first not in BROADCAST_WORDS:
        # The one request allowed to say stop is turning reminders (or data) off (rule 1).
        assert match == Match(Intent.HELP, CONSENT_HINT) or match.intent in (
            Intent.UNSUBSCRIBE,
            Intent.DELETE_DATA,
        ), (text, match)


# --- spellings of the same message route the same -------------------------------------------

sentence_piece = st.one_of(
    st.sampled_from(PHRASES),
    st.text(string.ascii_lowercase + "áéíóúüñ", min_size=1, max_size=8),
    st.integers(min_value=0, max_value=1200).map(str),
    st.sampled_from(["?", "!", "¿", "¡", "،", "؟", ".", "#", ")"]),
)
sentence = st.lists(sentence_piece, min_size=1, max_size=5).map(" ".join)


def _respace(text: str, spaces: list[str]) -> str:
    gaps = iter(spaces * (len(text) + 2))
    spaced = "".join(char + next(gaps) if char == " " else char for char in text)
    return next(gaps) + spaced + next(gaps)


@settings(max_examples=200, deadline=None)
@given(
    sentence, st.lists(st.sampled_from([" ", "  ", "\t", "\n ", "\u00a0", "\u3000"]), min_size=1)
)
@example("when is the next session", ["  "])
@example("# 3 )", ["\n "])
def test_extra_white_space_never_changes_the_route(text: str, spaces: list[str]) -> None:
    assert route(_respace(text, spaces)) == route(text)


@settings(max_examples=200, deadline=None)
@given(sentence)
@example("Próxima sesión")
def test_case_never_changes_the_route(text: str) -> None:
    match = route(text)

    assert route(text.upper()) == match
    assert route(text.title()) == match


def _accent_every_vowel(text: str) -> str:
    return "".join(char + "\u0301" if char in "aeiouAEIOU" else char for char in text)


@settings(max_examples=200, deadline=None)
@given(sentence)
@example("cuando es la proxima sesion")
def test_accents_never_change_the_route(text: str) -> None:
    assert route(_accent_every_vowel(text)) == route(text)


def _decorate_arabic(text: str, marks: list[str]) -> str:
    """A haraka and a tatweel after every Arabic letter, the way a keyboard stretches text."""
    cycle = iter(marks * (len(text) + 1))
    return "".join(
        char + next(cycle) + TATWEEL if "\u0621" <= char <= "\u064a" else char for char in text
    )


@settings(max_examples=200, deadline=None)
@given(sentence, st.lists(st.sampled_from(HARAKAT), min_size=1))
@example("متي الجلسه القادمه", ["\u064e"])
def test_harakat_and_tatweel_never_change_the_route(text: str, marks: list[str]) -> None:
    assert route(_decorate_arabic(text, marks)) == route(text)


@settings(max_examples=200, deadline=None)
@given(sentence)
@example("12")
@example("#3)")
def test_arabic_indic_digits_route_like_ascii_ones(text: str) -> None:
    arabic = text.translate(str.maketrans("0123456789", ARABIC_INDIC))

    assert route(arabic) == route(text)
