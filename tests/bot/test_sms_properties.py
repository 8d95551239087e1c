"""SMS segment arithmetic against an independent model, and "reply MORE" pages end to end.

tests/bot/test_sms_text.py pins the carrier's arithmetic at its boundaries and proves
`paginate` on its own. Here `segment_report` is compared with a second implementation that
works the way a carrier does, on the encoded message (GSM 03.38 septets with ESC for the
extension table, or UTF-16 code units) cut into parts that never end half-way through an
escape or a surrogate pair; and the pages a conversation turn really sends (`first_pages`,
then `next_page` on every MORE) are checked for size, order, lost text and split letters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.channels.sms_text import AccentMode, Encoding, segment_report, sms_safe
from bot.i18n import I18n
from bot.messages import Reply
from bot.sms_paging import MAX_SEGMENTS, PENDING_PAGES, first_pages, next_page

# GSM 03.38 default alphabet, in table order (0x1B, ESC, left out), and its extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
ESC = "\x1b"
assert len(GSM7_BASIC) == 127

ARABIC = "ابتثجحخدذرسشصضطظعغفقكلمنهوية"
HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b"
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇲🇽", "❤️", "🫨"]


def carrier_segments(text: str) -> tuple[Encoding, int, int]:
    """Encoding, segments and units as a carrier counts them on the encoded message."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        encoding, single, part = Encoding.GSM7, 160, 153
        # (unit, whether the next unit belongs to the same character)
        units = [
            pair
            for char in text
            for pair in (
                [(ESC, True), (char, False)] if char in GSM7_EXTENSION else [(char, False)]
            )
        ]
    else:
        encoding, single, part = Encoding.UCS2, 70, 67
        units = []
        for char in text:
            encoded = char.encode("utf-16-le", "surrogatepass")
            halves = [encoded[index : index + 2] for index in range(0, len(encoded), 2)]
            units.extend((half, index < len(halves) - 1) for index, half in enumerate(halves))
    if not units:
        return encoding, 0, 0
    if len(units) <= single:
        return encoding, 1, len(units)
    segments, start = 0, 0
    while start < len(units):
        end = min(start + part, len(units))
        if end < len(units) and units[end - 1][1]:
            end -= 1  # never leave an escape or a high surrogate at the end of a part
        segments, start = segments + 1, end
    return encoding, segments, len(units)


sms_char = st.one_of(
    st.sampled_from(GSM7_BASIC),
    st.sampled_from(GSM7_EXTENSION),
    st.sampled_from(ARABIC + "óá“”…\t"),
    st.sampled_from(EMOJI),
    st.characters(exclude_categories=()),  # anything, lone surrogates included
)
sms_text = st.lists(sms_char, max_size=400).map("".join)
# Lengths around every limit: one message, two parts, three parts, in both encodings.
BOUNDARIES = [70, 67, 134, 135, 160, 153, 306, 307, 201, 459]
near_a_boundary = st.tuples(
    st.lists(st.sampled_from(["a", "€", "ا", "😀", "{", "é", "ó"]), min_size=1, max_size=3),
    st.sampled_from(BOUNDARIES),
    st.integers(min_value=-3, max_value=3),
).map(lambda drawn: "".join(drawn[0]) * max(0, (drawn[1] + drawn[2]) // len(drawn[0])))


@settings(max_examples=300)
@given(sms_text | near_a_boundary)
@example("a" * 152 + "€" + "a" * 152)
@example("ا" * 66 + "😀" + "ا" * 66)
@example("€" * 77)
@example("\ud83d" + "a" * 80)  # a lone high surrogate from JSON's "\ud83d"
def test_segments_are_what_the_carrier_counts_on_the_encoded_message(text: str) -> None:
    report = segment_report(text)

    assert (report.encoding, report.segments, report.units) == carrier_segments(text)
    assert report.characters == len(text)


@given(sms_text | near_a_boundary, sms_char)
def test_a_longer_text_never_costs_fewer_segments(text: str, more: str) -> None:
    assert segment_report(text + more).segments >= segment_report(text).segments


# --- what sms_safe lets through ---------------------------------------------------------------

BIDI_AND_INVISIBLE = set(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u2060\ufeff\u00ad"
)
wire_text = st.text(st.characters(exclude_categories=())) | st.lists(sms_char).map("".join)


@settings(max_examples=200)
@given(wire_text, st.sampled_from(["en", "es"]), st.sampled_from(list(AccentMode)))
@example("STOP\ud800 \u200d\U000e0041 \ue000", "en", AccentMode.AUTO)
def test_english_and_spanish_sms_carry_only_gsm7_or_real_letters(
    text: str, language: str, accents: AccentMode
) -> None:
    out = sms_safe(text, language, accents)

    # Symbols, emoji, private-use, unassigned and format characters all cost UCS-2 and
    # mean nothing to the reader; what may force UCS-2 is a letter GSM-7 cannot spell.
    unwanted = [
        char
        for char in out
        if char not in GSM7_BASIC
        and char not in GSM7_EXTENSION
        and unicodedata.category(char)[0] not in "LMN"
    ]
    assert not unwanted, [f"U+{ord(char):04X}" for char in unwanted]


@settings(max_examples=200)
@given(wire_text, st.sampled_from(list(AccentMode)))
@example("\u200f١٢\u200f/\u200f٠٥ \x00\ud800", AccentMode.AUTO)
def test_arabic_sms_carry_no_bidi_mark_control_character_or_lone_surrogate(
    text: str, accents: AccentMode
) -> None:
    out = sms_safe(text, "ar", accents)

    assert not set(out) & BIDI_AND_INVISIBLE
    assert all(char in "\n\r" or unicodedata.category(char) not in ("Cc", "Cs") for char in out), (
        ascii(out)
    )


@settings(max_examples=200)
@given(wire_text | st.lists(st.sampled_from(["…", "±", "©", "…… ", "ا", " ", "\n"])).map("".join))
@example("…" * 195)
def test_an_arabic_sms_never_costs_more_than_the_text_it_was_given(text: str) -> None:
    # Latin text in an Arabic chat is rewritten into GSM-7 only when that is not dearer.
    for accents in AccentMode:
        assert (
            segment_report(sms_safe(text, "ar", accents)).segments <= segment_report(text).segments
        )


# --- pages, as a conversation turn sends them --------------------------------------------------

I18N = I18n()
HINTS = {
    language: {
        sms_safe(I18N[language].gettext("Reply MORE for the rest."), language, mode)
        for mode in AccentMode
    }
    for language in ("en", "es", "ar")
}

word = st.one_of(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzáéíóúñ€[]"), min_size=1, max_size=12),
    st.text(st.sampled_from(ARABIC + HARAKAT), min_size=1, max_size=10),
    st.sampled_from(["https://example.org/sessions/2025/reading?lang=es&ref=sms", "4:00\u202fPM"]),
    st.sampled_from(["“Taller”", "—", "…", "١٢/٠٥", *EMOJI]),
)
reply_text = st.lists(
    st.tuples(word, st.sampled_from([" ", " ", " ", "\n", "\n\n", ""])), max_size=150
).map(lambda pieces: "".join(w + gap for w, gap in pieces))

# Hypothesis favours short lists; a reply repeated a few times makes sure of several pages.
long_reply = st.tuples(reply_text, st.integers(min_value=2, max_value=12)).map(
    lambda drawn: drawn[0] * drawn[1]
)
any_reply = reply_text | long_reply


def all_pages(replies: list[Reply], language: str, accents: AccentMode) -> list[list[str]]:
    """What the person receives now (a page per reply) and on each MORE after it."""
    state: dict[str, Any] = {}
    now = first_pages(replies, I18N[language], accents, state)
    later: list[str] = []
    while (page := next_page(state)) is not None:
        later.append(page)
    assert PENDING_PAGES not in state
    return [[reply.text for reply in now], later]


def body(page: str, language: str) -> str:
    hint = next((hint for hint in HINTS[language] if page.endswith(f"\n{hint}")), None)
    assert hint is not None, page
    return page.removesuffix(f"\n{hint}")


def non_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


languages = st.sampled_from(["en", "es", "ar"])
accent_modes = st.sampled_from(list(AccentMode))


@settings(max_examples=60, deadline=None)
@given(any_reply, languages, accent_modes)
@example("x " * 400, "en", AccentMode.AUTO)
@example("ب" * 450, "ar", AccentMode.KEEP)
@example("جلسة " + "…" * 160 + " " + "…" * 195, "ar", AccentMode.AUTO)  # a Latin last page
@example("[" * 12 + " á " + "https://example.org/a " * 10 + "ا", "en", AccentMode.AUTO)
def test_pages_fit_come_in_order_and_lose_nothing_but_white_space(
    text: str, language: str, accents: AccentMode
) -> None:
    sent = sms_safe(text, language, accents)

    [now, later] = all_pages([Reply(text)], language, accents)
    pages = now + later

    assert len(now) == (1 if sent.strip() else 0)
    assert all(page.strip() for page in pages)
    assert all(segment_report(page).segments <= MAX_SEGMENTS for page in pages)
    # Every page but the last asks for MORE; taking the hint off gives the text back.
    bodies = [body(page, language) for page in pages[:-1]] + pages[-1:]
    assert non_space("".join(bodies)) == non_space(sent)
    # The SMS channel folds each page again before sending (AUTO may then drop an accent a
    # page on its own can do without); what it really sends fits too.
    assert all(
        segment_report(sms_safe(page, language, accents)).segments <= MAX_SEGMENTS for page in pages
    )


def without_hint(page: str, language: str) -> str:
    for hint in HINTS[language]:
        page = page.removesuffix(f"\n{hint}")
    return page


@settings(max_examples=40, deadline=None)
@given(st.lists(any_reply, min_size=2, max_size=3), languages, accent_modes)
@example(["uno " * 200, "dos " * 200], "es", AccentMode.AUTO)
def test_several_long_replies_send_one_page_each_now_and_queue_the_rest_in_order(
    texts: list[str], language: str, accents: AccentMode
) -> None:
    sent = [non_space(sms_safe(text, language, accents)) for text in texts]
    sent = [text for text in sent if text]

    [now, later] = all_pages([Reply(text) for text in texts], language, accents)

    assert len(now) == len(sent)
    rests = []
    for text, first in zip(sent, now, strict=True):
        start = non_space(without_hint(first, language))
        assert text.startswith(start)
        rests.append(text.removeprefix(start))
    # What MORE brings is the rest of reply 1, then the rest of reply 2, and so on.
    assert non_space("".join(without_hint(page, language) for page in later)) == "".join(rests)


@settings(max_examples=60, deadline=None)
@given(any_reply, accent_modes)
@example("¿Cuándo es la próxima sesión? " * 30, AccentMode.AUTO)
def test_gsm7_text_gets_gsm7_pages_unless_accents_are_kept(text: str, accents: AccentMode) -> None:
    for language in ("en", "es"):
        sent = sms_safe(text, language, accents)
        [now, later] = all_pages([Reply(text)], language, accents)
        if segment_report(sent).encoding is Encoding.GSM7 and accents is not AccentMode.KEEP:
            # The hint is folded like the text: one "Á" in "MÁS" would make every page UCS-2.
            assert all(segment_report(page).encoding is Encoding.GSM7 for page in now + later)


# An unbroken Arabic run with harakat, longer than a whole page: cut where no space helps.
harakat_run = st.lists(
    st.tuples(st.sampled_from(ARABIC), st.text(st.sampled_from(HARAKAT), max_size=2)),
    min_size=210,  # more than the 201 UTF-16 units of three segments
    max_size=500,
).map(lambda letters: "".join(letter + marks for letter, marks in letters))


@settings(max_examples=40, deadline=None)
@given(harakat_run, st.sampled_from(["", "جلسة ", "أ\n"]))
@example("بَ" * 300, "")
def test_a_haraka_is_never_cut_off_its_letter(run: str, before: str) -> None:
    [now, later] = all_pages([Reply(before + run)], "ar", AccentMode.AUTO)
    pages = now + later

    assert len(pages) > 1
    bodies = [body(page, "ar") for page in pages[:-1]] + pages[-1:]
    assert not any(unicodedata.category(part[0]).startswith("M") for part in bodies)
    assert all(segment_report(page).segments <= MAX_SEGMENTS for page in pages)
