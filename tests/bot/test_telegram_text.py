"""Telegram rendering (DESIGN.md §4 rule 6): escaped HTML, bidi isolates, 4096-unit parts.

Each case is a way a real message went wrong: a catalog "Q&A" that made Telegram reject the
message, a Spanish answer cut in the middle of "&amp;", an Arabic date whose numbers swapped
places, a language button whose callback data Telegram refused.
"""

from __future__ import annotations

import html
import re
from itertools import pairwise

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.telegram_text import LRI, PDI, render_html, reply_markup, split_message
from bot.messages import Button

LANGUAGES = ("en", "es", "ar")
ARABIC_RECORDING = (
    "عُقدت في 9 مايو 2024.\nشاهد التسجيل: https://futureoflearningca.org/shared-learning/"
)
ENTITY = re.compile(r"&(?:amp|lt|gt);")


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def isolated(run: str) -> str:
    return f"{LRI}{run}{PDI}"


# -- render_html ---------------------------------------------------------------------------


def test_catalog_markup_is_shown_as_text_not_parsed() -> None:
    assert render_html('Q&A <b>not bold</b> "x"', "en") == 'Q&amp;A &lt;b&gt;not bold&lt;/b&gt; "x"'


def test_url_with_ampersand_is_escaped_once_and_left_for_telegram_to_link() -> None:
    rendered = render_html("Form: https://example.org/signup?lang=es&session=9", "es")

    assert rendered == "Form: https://example.org/signup?lang=es&amp;session=9"
    assert "<a" not in rendered


def test_arabic_numbers_and_links_are_isolated() -> None:
    rendered = render_html(ARABIC_RECORDING, "ar")

    assert rendered == (
        f"عُقدت في {isolated('9')} مايو {isolated('2024')}.\n"
        f"شاهد التسجيل: {isolated('https://futureoflearningca.org/shared-learning/')}"
    )


def test_arabic_rendering_twice_does_not_wrap_twice() -> None:
    once = render_html(ARABIC_RECORDING, "ar")

    assert render_html(once, "ar") == once
    assert once.count(LRI) == once.count(PDI) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الساعة 4:00 - 5:00", f"الساعة {isolated('4:00')} - {isolated('5:00')}"),
        ("اتصل على +1 555 0100.", f"اتصل على {isolated('+1 555 0100')}."),
        ("1. الجلسة الأولى", f"{isolated('1')}. الجلسة الأولى"),
        ("بتاريخ 2024-11-22", f"بتاريخ {isolated('2024-11-22')}"),
        # The sentence's punctuation and brackets stay outside the link and its isolate.
        (
            "(انظر https://example.org/a_(b)), ثم",
            f"(انظر {isolated('https://example.org/a_(b)')}), ثم",
        ),
        ("الرابط https://example.org/x،", f"الرابط {isolated('https://example.org/x')}،"),
        # Digits inside a Latin token already read left to right with it.
        ("COVID-19 و zoom.us/j/123 و 9am", "COVID-19 و zoom.us/j/123 و 9am"),
        # Arabic-Indic digits are right-to-left numbers of their own.
        ("في ٩ مايو", "في ٩ مايو"),
    ],
)
def test_arabic_isolates_whole_left_to_right_runs(text: str, expected: str) -> None:
    assert render_html(text, "ar") == expected


def test_text_a_translator_isolated_is_kept_as_is() -> None:
    text = f"اتصل {isolated('+1 555 0100')} أو {LRI}الساعة 4{PDI}"

    assert render_html(text, "ar") == text


@pytest.mark.parametrize("language", ["en", "es"])
def test_left_to_right_languages_get_no_isolates(language: str) -> None:
    text = "Held on May 9, 2024 at 4:00. Watch: https://futureoflearningca.org/shared-learning/"

    assert render_html(text, language) == text


@given(st.text(), st.sampled_from(LANGUAGES))
def test_render_never_raises(text: str, language: str) -> None:
    assert isinstance(render_html(text, language), str)


@given(st.text())
def test_escaping_round_trips(text: str) -> None:
    assert html.unescape(render_html(text, "en")) == text


ARABIC_LIKE = st.lists(
    st.sampled_from(
        [
            "في",
            "مايو",
            " ",
            "\n",
            "9",
            "2024",
            ".",
            ":",
            "-",
            "+",
            "/",
            "(",
            ")",
            "،",
            "am",
            "COVID",
            "https://x.org/a?b=1",
            LRI,
            PDI,
        ]
    )
).map("".join)


@given(ARABIC_LIKE)
@example("9https://x.org/a?b=1")  # digits glued to a link must stay unwrapped on a rerun
def test_arabic_isolates_are_stable_and_only_added(text: str) -> None:
    once = render_html(text, "ar")

    assert render_html(once, "ar") == once
    assert html.unescape(once).replace(LRI, "").replace(PDI, "") == text.replace(LRI, "").replace(
        PDI, ""
    )


# -- split_message ---------------------------------------------------------------------------


def test_short_text_is_one_part() -> None:
    text = render_html(ARABIC_RECORDING, "ar")

    assert split_message(text) == [text]


def test_long_text_splits_at_paragraph_breaks() -> None:
    paragraphs = [f"Sesión {index} 😀 " + "palabra " * (110 + index * 4) for index in range(10)]
    text = "\n\n".join(paragraph.strip() for paragraph in paragraphs)
    assert 10_000 < utf16_units(text) < 11_000

    parts = split_message(text)

    assert len(parts) > 2
    assert all(utf16_units(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == text
    # Each part is as full as whole paragraphs allow: the next one would not have fitted.
    for part, following in pairwise(parts):
        next_paragraph = following.split("\n\n")[0]
        assert utf16_units(f"{part}\n\n{next_paragraph}") > 4096


def test_line_breaks_then_spaces_when_no_paragraph_break_fits() -> None:
    lines = "\n".join(" ".join(["línea"] * 20) for _ in range(60))
    parts = split_message(lines)
    assert len(parts) == 2
    assert "\n".join(parts) == lines

    words = "palabra " * 1000
    parts = split_message(words)
    assert all(utf16_units(part) <= 4096 for part in parts)
    assert " ".join(parts) == words.strip()


def test_length_is_counted_in_utf16_units() -> None:
    emoji = "😀" * 3000  # 6000 units in 3000 characters
    parts = split_message(emoji)
    assert [utf16_units(part) for part in parts] == [4096, 1904]
    assert "".join(parts) == emoji

    arabic = "ب" * 4096  # 8192 bytes of UTF-8, but 4096 units
    assert split_message(arabic) == [arabic]


def test_entity_is_never_cut() -> None:
    text = "a" * 4093 + "&amp;b"

    assert split_message(text) == ["a" * 4093, "&amp;b"]


def test_url_is_not_cut_while_there_is_another_choice() -> None:
    url = "https://example.org/" + "p" * 200
    text = "a" * 4000 + url

    assert split_message(text) == ["a" * 4000, url]


def test_isolate_is_kept_with_its_pdi() -> None:
    phone = isolated("+1 555 0100")  # its spaces straddle the limit
    text = "ب" * 4085 + " " + phone

    assert split_message(text) == ["ب" * 4085, phone]


def test_unbreakable_run_is_hard_split_at_the_limit() -> None:
    assert split_message("a" * 5000) == ["a" * 4096, "a" * 904]


def test_isolate_longer_than_the_limit_leaves_no_blank_part() -> None:
    text = LRI + " " * 30 + "x" + PDI

    assert split_message(text, limit=10) == [LRI, "x" + PDI]


def test_limit_too_small_for_an_entity_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        split_message("&amp;&amp;", limit=4)


MESSAGE_LIKE = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            ["\n\n", "\n", " ", " " * 25, "😀", "&", "<", "https://x.org/?a=1&b=2", "2024"]
        ),
        st.sampled_from([LRI, PDI]),
    )
).map("".join)


@given(st.text(), st.integers(min_value=10, max_value=200))
def test_parts_fit_and_are_never_empty(text: str, limit: int) -> None:
    parts = split_message(text, limit)

    assert all(part and utf16_units(part) <= limit for part in parts)
    assert [part for part in parts if part.strip()] == parts


@given(MESSAGE_LIKE, st.sampled_from(LANGUAGES), st.integers(min_value=10, max_value=80))
def test_rendered_parts_keep_entities_whole_and_lose_only_whitespace(
    text: str, language: str, limit: int
) -> None:
    rendered = render_html(text, language)
    parts = split_message(rendered, limit)

    assert all(0 < utf16_units(part) <= limit for part in parts)
    assert all(part.count("&") == len(ENTITY.findall(part)) for part in parts)
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", rendered)


@given(st.text())
def test_default_limit_holds_for_any_text(text: str) -> None:
    assert all(utf16_units(part) <= 4096 for part in split_message(text))


# -- reply_markup ----------------------------------------------------------------------------


def test_short_language_buttons_share_one_row() -> None:
    buttons = [Button("English", "en"), Button("Español", "es"), Button("العربية", "ar")]

    markup = reply_markup(buttons)

    assert markup is not None
    assert [[key.text for key in row] for row in markup.inline_keyboard] == [
        ["English", "Español", "العربية"]
    ]
    assert [key.callback_data for key in markup.inline_keyboard[0]] == ["en", "es", "ar"]


def test_more_short_buttons_wrap_three_to_a_row() -> None:
    markup = reply_markup([Button(str(index), str(index)) for index in range(4)])

    assert markup is not None
    assert [len(row) for row in markup.inline_keyboard] == [3, 1]


def test_long_labels_get_a_row_each() -> None:
    buttons = [Button("Sí", "yes"), Button("Ver las próximas sesiones", "upcoming")]

    markup = reply_markup(buttons)

    assert markup is not None
    assert [[key.text for key in row] for row in markup.inline_keyboard] == [
        ["Sí"],
        ["Ver las próximas sesiones"],
    ]


def test_payload_over_64_bytes_is_refused() -> None:
    payload = "ع" * 33  # 33 characters, 66 bytes of UTF-8

    with pytest.raises(ValueError, match=payload):
        reply_markup([Button("العربية", payload)])


def test_no_buttons_means_no_keyboard() -> None:
    assert reply_markup([]) is None
