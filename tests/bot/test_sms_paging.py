"""Long SMS replies become pages: the first now, the rest on MORE, each as cheap as the text."""

from __future__ import annotations

from typing import Any

from bot.channels.sms_text import AccentMode, Encoding, segment_report
from bot.i18n import I18n
from bot.messages import Reply
from bot.sms_paging import PENDING_PAGES, first_pages, next_page

I18N = I18n()
LONG_SPANISH = "\n".join(
    f"{n}. Liderazgo y poder compartidos para la transformación escolar, parte {n}"
    for n in range(1, 12)
)


def test_a_short_reply_is_sent_whole_and_saves_nothing() -> None:
    state: dict[str, Any] = {}
    replies = first_pages([Reply("Hello!")], I18N["en"], AccentMode.AUTO, state)
    assert [r.text for r in replies] == ["Hello!"]
    assert state == {}


def test_a_long_reply_sends_its_first_page_and_keeps_the_rest_for_more() -> None:
    state: dict[str, Any] = {}
    [first] = first_pages([Reply(LONG_SPANISH)], I18N["es"], AccentMode.AUTO, state)
    pages = [first.text]
    while (page := next_page(state)) is not None:
        pages.append(page)
    assert len(pages) >= 2
    assert PENDING_PAGES not in state
    assert all(segment_report(p).segments <= 3 for p in pages)
    assert all(p.endswith("Responde MAS para ver el resto.") for p in pages[:-1])


def test_the_more_hint_is_folded_with_the_text_so_pages_stay_gsm7() -> None:
    state: dict[str, Any] = {}
    [first] = first_pages([Reply(LONG_SPANISH)], I18N["es"], AccentMode.AUTO, state)
    assert segment_report(first.text).encoding is Encoding.GSM7
    assert all(segment_report(p).encoding is Encoding.GSM7 for p in state[PENDING_PAGES])


def test_with_accents_kept_the_hint_keeps_its_accent() -> None:
    state: dict[str, Any] = {}
    [first] = first_pages([Reply(LONG_SPANISH)], I18N["es"], AccentMode.KEEP, state)
    assert first.text.endswith("Responde MÁS para ver el resto.")
    assert segment_report(first.text).segments <= 3


def test_a_reply_of_nothing_but_emoji_is_not_sent_as_an_empty_sms() -> None:
    assert first_pages([Reply("🎉🎉")], I18N["en"], AccentMode.AUTO, {}) == []
