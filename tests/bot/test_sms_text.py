"""SMS text: encoding, segment counts, GSM-7 rewriting and "reply MORE" pages (design rule 6).

A wrong count here is a wrong bill and a wrong preview for organizers; a stray character that
survives `sms_safe` silently doubles the price of every message that carries it. The table
tests pin the carrier's arithmetic at its boundaries; the properties cover arbitrary text.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.sms_text import (
    AccentMode,
    Encoding,
    SegmentReport,
    paginate,
    segment_report,
    sms_safe,
)

ALIF = "ا"
MORE = "Reply MORE for the rest."
ARABIC_MORE = "أرسل MORE للمزيد."


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("", Encoding.GSM7, 0, 0),
        ("a" * 160, Encoding.GSM7, 1, 160),
        ("a" * 161, Encoding.GSM7, 2, 161),
        ("a" * 306, Encoding.GSM7, 2, 306),
        ("a" * 307, Encoding.GSM7, 3, 307),
        ("a" * 159 + "€", Encoding.GSM7, 2, 161),
        ("a" * 158 + "[", Encoding.GSM7, 1, 160),
        ("^{}\\[~]|€\f", Encoding.GSM7, 1, 20),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r", Encoding.GSM7, 1, 44),
        # An escape is never split across parts: 152 + 2 septets overflow the first part.
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 3, 306),
        (ALIF * 70, Encoding.UCS2, 1, 70),
        (ALIF * 71, Encoding.UCS2, 2, 71),
        (ALIF * 134, Encoding.UCS2, 2, 134),
        (ALIF * 135, Encoding.UCS2, 3, 135),
        ("😀", Encoding.UCS2, 1, 2),
        ("😀" * 35, Encoding.UCS2, 1, 70),
        ("😀" * 36, Encoding.UCS2, 2, 72),
        # A surrogate pair is never split across parts: 66 + 2 units overflow the first part.
        (ALIF * 66 + "😀" + ALIF * 66, Encoding.UCS2, 3, 134),
        # Characters that look harmless and are not GSM-7.
        ("`", Encoding.UCS2, 1, 1),
        ("\t", Encoding.UCS2, 1, 1),
        ("\x1b", Encoding.UCS2, 1, 1),
        ("ç", Encoding.UCS2, 1, 1),
    ],
)
def test_segment_report(text: str, encoding: Encoding, segments: int, units: int) -> None:
    assert segment_report(text) == SegmentReport(encoding, segments, units, len(text))


def test_one_accent_turns_a_whole_english_text_into_ucs2() -> None:
    text = "x" * 99 + "ó"
    assert segment_report(text.replace("ó", "o")) == SegmentReport(Encoding.GSM7, 1, 100, 100)
    assert segment_report(text) == SegmentReport(Encoding.UCS2, 2, 100, 100)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("4:00\u202fPM", "en", "4:00 PM"),
        ("16:00\u00a0h", "es", "16:00 h"),
        ("Doors\u2009open\u2007at\u00a0\u00a04", "en", "Doors open at 4"),
        ("It’s ‘here’ – “today” — see… ok", "en", "It's 'here' - \"today\" - see... ok"),
        ("«Taller» • domingo ‒ 10‐12", "es", '"Taller" - domingo - 10-12'),
        (
            "Bring `snacks´ × 2, ½ cup ± 1, 3½ oz",
            "en",
            "Bring 'snacks' x 2, 1/2 cup +/- 1, 3 1/2 oz",
        ),
        ("Tips™ ©2025 ® ¢5 ¦", "en", "TipsTM (c)2025 (R) c5 |"),
        ("ﬁrst ２ｎｄ ３º", "es", "first 2nd 3o"),
        ("10² m³", "en", "10^2 m^3"),
        ("a\u200bb\u2060c\ufeffd\u00ade", "en", "abcde"),
        ("tab\there", "en", "tab here"),
        ("line\u2028break\x85and\vmore", "en", "line\nbreak\nand\nmore"),
        ("ctrl\x00\x07\x1b chars", "en", "ctrl chars"),
        ("Hi 👋 there!", "en", "Hi there!"),
        ("🎉 Welcome!\n✅ Done ✨\nSee you 👍🏽", "en", "Welcome!\nDone\nSee you"),
        ("Call 1️⃣ or #️⃣", "en", "Call 1 or #"),
        ("family: 👨‍👩‍👧 flag: 🇲🇽 new: 🫨", "en", "family: flag: new:"),
        ("x ≠ y → z", "en", "x y z"),
        # The author's own spacing stays: only what a rewrite produced is tidied.
        ("Menu\n  1. Yes  (now)\n  2. No", "en", "Menu\n  1. Yes  (now)\n  2. No"),
    ],
)
def test_sms_safe_rewrites_into_gsm7(text: str, language: str, expected: str) -> None:
    result = sms_safe(text, language, AccentMode.KEEP)
    assert result == expected
    assert segment_report(result).encoding is Encoding.GSM7


def test_babel_time_stays_gsm7() -> None:
    result = sms_safe("Tuesday, 4:00\u202fPM", "en")
    assert result == "Tuesday, 4:00 PM"
    assert segment_report(result).encoding is Encoding.GSM7


def test_arabic_date_loses_its_marks_and_keeps_its_script() -> None:
    text = "\u200f١٢\u200f/\u200f٠٥\u200f/\u200f٢٠٢٥ في ٤:٠٠\u202fم، الثلاثاء؛ هل تأتي؟"
    assert sms_safe(text, "ar") == "١٢/٠٥/٢٠٢٥ في ٤:٠٠ م، الثلاثاء؛ هل تأتي؟"


@pytest.mark.parametrize("accents", list(AccentMode))
def test_arabic_is_untouched_but_for_marks_and_spaces(accents: AccentMode) -> None:
    text = "«الجلسة القادمة» – يوم السبت\u00a0🎉\n\u2067https://example.org\u2069 ٣ مقاعد…"
    expected = "«الجلسة القادمة» – يوم السبت 🎉\nhttps://example.org ٣ مقاعد…"
    assert sms_safe(text, "ar", accents) == expected


def test_an_english_fallback_in_an_arabic_chat_still_gets_gsm7() -> None:
    # Rule 8 sends English when a translation is missing; that text can still be cheap.
    assert sms_safe("Sessions “this week” — none 😕", "ar") == 'Sessions "this week" - none'


SPANISH = "¿Cuándo es la próxima sesión?"


@pytest.mark.parametrize(
    ("accents", "expected"),
    [
        (AccentMode.STRIP, "¿Cuando es la proxima sesion?"),
        (AccentMode.KEEP, SPANISH),
        (AccentMode.AUTO, SPANISH),  # one segment either way: keep the spelling
    ],
)
def test_spanish_accents(accents: AccentMode, expected: str) -> None:
    assert sms_safe(SPANISH, "es", accents) == expected


def test_strip_keeps_what_gsm7_can_spell() -> None:
    text = "Ángel, Íñigo, Óscar, Úrsula, Érica; año, pingüino, ¡sí! café à la crème, ça, Ça"
    expected = "Angel, Iñigo, Oscar, Ursula, Érica; año, pingüino, ¡si! café à la crème, ca, Ça"
    assert sms_safe(text, "es", AccentMode.STRIP) == expected


def test_strip_folds_decomposed_accents() -> None:
    assert sms_safe("pro\u0301xima sesio\u0301n", "es", AccentMode.STRIP) == "proxima sesion"
    assert sms_safe("pro\u0301xima", "es", AccentMode.KEEP) == "próxima"


def test_auto_folds_only_when_that_saves_a_segment() -> None:
    saves = "La próxima sesión de lectura para familias es el sábado a las diez en la biblioteca."
    assert len(saves) > 70
    assert segment_report(saves).segments == 2
    folded = sms_safe(saves, "es", AccentMode.AUTO)
    assert folded == saves.replace("ó", "o").replace("á", "a")
    assert segment_report(folded) == SegmentReport(Encoding.GSM7, 1, len(saves), len(saves))

    short = "La próxima sesión es el sábado a las diez en punto"
    assert len(short) == 50
    assert sms_safe(short, "es", AccentMode.AUTO) == short


def test_a_bare_emoji_reply_becomes_empty_rather_than_ucs2() -> None:
    assert sms_safe("👍", "en") == ""
    assert paginate(sms_safe("👍", "en"), more_hint=MORE) == []


def test_accent_mode_reads_the_setting_values() -> None:
    assert [AccentMode(value) for value in ("keep", "auto", "strip")] == list(AccentMode)


# --- pages ----------------------------------------------------------------------------------


def bodies(pages: list[str], hint: str) -> list[str]:
    assert all(page.endswith(f"\n{hint}") for page in pages[:-1])
    return [page.removesuffix(f"\n{hint}") for page in pages[:-1]] + pages[-1:]


def test_a_reply_that_fits_is_one_page_without_hint() -> None:
    text = "x" * 459
    assert paginate(text, more_hint=MORE) == [text]


def test_pages_cut_at_line_breaks_and_carry_the_hint() -> None:
    items = [f"{n}. Story time at the library, Saturday 10:00 AM, room {n}" for n in range(1, 21)]
    text = "\n".join(items)
    pages = paginate(text, more_hint=MORE)
    assert len(pages) > 1
    assert all(segment_report(page).segments <= 3 for page in pages)
    parts = bodies(pages, MORE)
    assert "\n".join(parts) == text  # every cut fell on a line break, nothing else changed


def test_pages_cut_at_spaces_and_never_inside_a_url() -> None:
    url = "https://example.org/sessions/2025/reading-circle?lang=es&ref=sms"
    text = ("word " * 90) + url + (" tail" * 40)
    pages = paginate(text, more_hint=MORE, max_segments=2)
    parts = bodies(pages, MORE)
    assert any(url in part for part in parts)
    assert " ".join(parts) == text.strip()
    assert all(segment_report(page).segments <= 2 for page in pages)


def test_a_word_longer_than_a_page_is_cut() -> None:
    text = "see " + "x" * 500
    pages = paginate(text, more_hint=MORE, max_segments=1)
    parts = bodies(pages, MORE)
    assert parts[0] == "see"
    assert "".join(parts[1:]) == "x" * 500
    assert all(segment_report(page).segments <= 1 for page in pages)


def test_arabic_pages_count_ucs2() -> None:
    text = " ".join(["جلسة قراءة للعائلات يوم السبت"] * 20)
    pages = paginate(text, more_hint=ARABIC_MORE)
    assert len(pages) > 1
    assert all(segment_report(page).segments <= 3 for page in pages)
    assert " ".join(bodies(pages, ARABIC_MORE)) == text


def test_a_hint_that_leaves_no_room_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        paginate("word " * 100, more_hint="M" * 160, max_segments=1)
    with pytest.raises(ValueError, match="at least 1"):
        paginate("word", more_hint=MORE, max_segments=0)


# --- properties -----------------------------------------------------------------------------

TYPOGRAPHY = "‘’‚‛“”„‟–—‒―‐‑−…•·«»‹›′″™©®×÷±½¼¾ªº\u202f\u00a0\u2007\u2009\u200e\u200f\u2066\u2069"
latin1_and_typography = st.text(
    alphabet=st.characters(max_codepoint=0xFF) | st.sampled_from(TYPOGRAPHY)
)
languages = st.sampled_from(["en", "es", "ar"])
accent_modes = st.sampled_from(list(AccentMode))


def non_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


@given(st.text())
def test_segment_report_counts_any_text(text: str) -> None:
    report = segment_report(text)
    assert report.characters == len(text)
    assert report.units >= len(text)
    assert (report.segments == 0) == (text == "")


@given(latin1_and_typography)
def test_strip_always_gives_gsm7_for_latin_text(text: str) -> None:
    assert segment_report(sms_safe(text, "en", AccentMode.STRIP)).encoding is Encoding.GSM7


@given(st.text() | latin1_and_typography, languages, accent_modes)
@example("e\u200b\u0301", "en", AccentMode.KEEP)
@example("=\U0001f600\u0338", "es", AccentMode.KEEP)
@example("ᄀ\u200bᅡ", "en", AccentMode.KEEP)
@example(" \u00a0x\u00a0 \n", "ar", AccentMode.AUTO)
def test_sms_safe_is_idempotent(text: str, language: str, accents: AccentMode) -> None:
    once = sms_safe(text, language, accents)
    assert sms_safe(once, language, accents) == once


@given(st.text(), st.sampled_from(["en", "es"]), accent_modes)
def test_sms_safe_never_keeps_emoji_in_english_or_spanish(
    text: str, language: str, accents: AccentMode
) -> None:
    result = sms_safe(f"{text} 😀🎉👍🏽🇲🇽 ✅ ❤️ 👨‍👩‍👧", language, accents)
    emoji_parts = "\U0001f3fd\ufe0f\u200d"  # skin tone, emoji presentation, joiner
    assert not any(unicodedata.category(char) in ("So", "Cn") for char in result)
    assert not any(char in emoji_parts for char in result)


# Long enough to need pages; mostly words, sometimes a long unbroken run, any script.
page_text = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from(" \n" * 20 + "€óا😀" + "x" * 40),
    max_size=1200,
)


@given(page_text, st.integers(min_value=1, max_value=4), st.sampled_from([MORE, ARABIC_MORE]))
def test_pages_fit_and_keep_every_character(text: str, max_segments: int, hint: str) -> None:
    pages = paginate(text, more_hint=hint, max_segments=max_segments)
    assert all(segment_report(page).segments <= max_segments for page in pages)
    parts = bodies(pages, hint)
    assert all(part.strip() for part in parts)
    assert non_space("".join(parts)) == non_space(text)
