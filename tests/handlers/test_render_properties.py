"""Catalog text → a card (handlers/render.py) → what Telegram and SMS really carry.

Organizers type catalog text by hand: "Q&A <b>", a URL with "&", a phone number, an Arabic
summary with Latin dates. The channel tests prove the escaping and folding functions on
arbitrary strings; these prove the whole path on cards built from arbitrary catalog items in
the three languages, dates and zones formatted by Babel included: the HTML parses back to
exactly the card with no tag of its own, its parts fit Telegram's limit and lose only the
white space at the cuts, every isolate added for Arabic is closed in the part that opened it,
and the SMS text keeps every visible character of an Arabic card and is GSM-7 for a Latin one
once accents are stripped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, cast
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.channels.sms_text import AccentMode, Encoding, segment_report, sms_safe
from bot.channels.telegram_text import PDI, render_html, reply_markup, split_message
from bot.i18n import I18n
from bot.messages import Address, ChannelName
from bot.store.contacts import Contact
from catalog.models import (
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionStatus,
)
from catalog.search import CatalogIndex
from handlers.context import Context
from handlers.render import menu_page, resource_card, session_card

I18N = I18n()
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
LANGUAGES = ("en", "es", "ar")
ISOLATES = "\u2066\u2067\u2068\u2069"
BIDI_AND_INVISIBLE = set(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u2060\ufeff\u00ad"
)
TELEGRAM_LIMIT = 4096


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- catalog items as organizers write them ---------------------------------------------------

LATIN_WORDS = ["Q&A", "<b>bold</b>", "a < b > c", '"quoted"', "&amp;", "&#39;", "Taller", "niños"]
ARABIC_WORDS = ["الجلسة", "القادمة", "للمعلمين", "عُقدت", "مايو", "الصحة النفسية", "؟", "،"]
LTR_RUNS = [
    "https://example.org/signup?lang=es&session=9",
    "(https://example.org/a_(b))",
    "https://example.org/x،",
    "+1 555 0100",
    "4:00",
    "2024-11-22",
    "9 مايو 2024.",
    "COVID-19",
    "zoom.us/j/123",
]
catalog_piece = st.one_of(
    st.sampled_from(LATIN_WORDS + ARABIC_WORDS + LTR_RUNS + ["😀", "👨\u200d👩\u200d👧", "…", "—"]),
    st.text(
        st.characters(codec="utf-8", exclude_characters=ISOLATES, exclude_categories=["Cs"]),
        max_size=10,
    ),
)
catalog_text = st.lists(
    st.tuples(catalog_piece, st.sampled_from([" ", " ", "\n", "\n\n", ""])), max_size=12
).map(lambda pieces: "".join(piece + gap for piece, gap in pieces))
# At least one readable character: the catalog refuses an empty English title.
required_text = catalog_text.filter(lambda text: text.strip()) | st.sampled_from(LATIN_WORDS)
urls = st.sampled_from(["https://example.org/s/1", "https://example.org/grabación?a=1&b=2"])


def localized(required: bool) -> st.SearchStrategy[Localized]:
    return st.fixed_dictionaries(
        {"en": required_text if required else catalog_text},
        optional={"es": catalog_text, "ar": catalog_text},
    ).map(Localized)


ZONES = ["America/Los_Angeles", "America/New_York", "Europe/Madrid", "Asia/Riyadh", "UTC"]
sessions = st.builds(
    Session,
    id=st.just("s1"),
    starts_at=st.integers(min_value=-800, max_value=800).map(
        lambda hours: NOW + timedelta(hours=hours * 7)
    ),
    timezone=st.sampled_from(ZONES),
    duration_minutes=st.integers(min_value=30, max_value=180),
    title=localized(required=True),
    summary=localized(required=False),
    link=st.fixed_dictionaries({"en": urls}, optional={"es": urls, "ar": urls}).map(Localized),
    status=st.sampled_from(list(SessionStatus)),
)
resources = st.builds(
    Resource,
    id=st.just("r1"),
    kind=st.sampled_from(list(ResourceKind)),
    title=localized(required=True),
    link=st.fixed_dictionaries({"en": urls}, optional={"es": urls}).map(Localized),
    summary=localized(required=False),
    session_ids=st.sampled_from([(), ("s1",)]),
)


def context(language: str, catalog: Catalog) -> Context:
    contact = Contact(1, Address(ChannelName.TELEGRAM, "1"), language, False, False)
    return Context(
        contact=contact,
        tr=I18N[language],
        i18n=I18N,
        catalog=catalog,
        index=CatalogIndex(catalog),
        now=NOW,
        zone=ZoneInfo("America/Los_Angeles"),
        db=cast(Any, None),  # the cards never touch the database
    )


def cards(session: Session, resource: Resource, language: str) -> list[str]:
    catalog = Catalog.of([session], [resource])
    ctx = context(language, catalog)
    menu = menu_page(ctx, [session, resource] * 4, 0, "Sessions")
    assert reply_markup(menu.buttons) is not None
    return [session_card(session, ctx), resource_card(resource, ctx.tr), menu.text]


# --- Telegram -----------------------------------------------------------------------------


class TagCounter(HTMLParser):
    """Parses HTML the way a lenient client does, keeping the text and any tag it meets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")

    def handle_decl(self, decl: str) -> None:
        self.tags.append("!")

    def handle_pi(self, data: str) -> None:
        self.tags.append("?")

    def unknown_decl(self, data: str) -> None:
        self.tags.append("![")


def parse(html: str) -> tuple[list[str], str]:
    parser = TagCounter()
    parser.feed(html)
    parser.close()
    return parser.tags, "".join(parser.text)


def without_isolates(text: str) -> str:
    return text.translate(dict.fromkeys(map(ord, ISOLATES)))


def isolates_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in ISOLATES[:3]:
            depth += 1
        elif char == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


ENTITY = re.compile(r"&(?:amp|lt|gt);")


@settings(max_examples=60, deadline=None)
@given(sessions, resources, st.sampled_from(LANGUAGES))
def test_cards_in_html_parse_back_to_the_card_with_no_tag_and_closed_isolates(
    session: Session, resource: Resource, language: str
) -> None:
    for card in cards(session, resource, language):
        html = render_html(card, language)
        tags, text = parse(html)

        assert tags == []
        assert len(ENTITY.findall(html)) == html.count("&")
        if language == "ar":
            # Isolates are only added, each closed, and never around anything but the card.
            assert without_isolates(text) == without_isolates(card)
            assert isolates_balanced(html)
        else:
            assert text == card


# A summary pasted from a report: a paragraph of catalog text, many times over.
long_summary = st.tuples(
    st.lists(catalog_piece, min_size=3, max_size=12).map(" ".join),
    st.integers(min_value=60, max_value=400),
).map(lambda drawn: (drawn[0] + "\n") * drawn[1])


@settings(max_examples=25, deadline=None)
@given(sessions, long_summary, st.sampled_from(LANGUAGES))
@example(
    Session(
        "s1",
        NOW - timedelta(days=30),
        "America/Los_Angeles",
        60,
        Localized({"en": "Q&A"}),
        Localized({"en": "x"}),
        Localized({"en": "https://example.org/s/1"}),
    ),
    "عُقدت في 9 مايو 2024 &amp; <b> https://example.org/a?b=1&c=2 😀\n" * 90,
    "ar",
)
def test_long_cards_split_into_parts_that_fit_parse_and_lose_only_white_space(
    session: Session, summary: str, language: str
) -> None:
    session = replace(
        session,
        summary=Localized({"en": summary, language: summary}),
        status=SessionStatus.SCHEDULED,
    )
    card = session_card(session, context(language, Catalog.of([session], [])))
    html = render_html(card, language)

    parts = split_message(html)

    assert parts
    for part in parts:
        assert 0 < utf16_units(part) <= TELEGRAM_LIMIT
        tags, _ = parse(part)
        assert tags == []
        assert len(ENTITY.findall(part)) == part.count("&")  # no entity cut in two
        assert isolates_balanced(part)  # an isolate ends in the part that opened it
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", html)
    unescaped = "".join(parse(part)[1] for part in parts)
    assert re.sub(r"\s", "", without_isolates(unescaped)) == re.sub(r"\s", "", card)


# --- SMS ----------------------------------------------------------------------------------


def visible(text: str) -> str:
    """What a reader sees: no white space, bidi marks, invisible or control characters."""
    return "".join(
        char
        for char in text
        if not char.isspace()
        and char not in BIDI_AND_INVISIBLE
        and unicodedata.category(char) not in ("Cc", "Cs")
    )


@settings(max_examples=60, deadline=None)
@given(sessions, resources, st.sampled_from(list(AccentMode)))
def test_an_arabic_card_keeps_every_visible_character_on_sms(
    session: Session, resource: Resource, accents: AccentMode
) -> None:
    for card in cards(session, resource, "ar"):
        sent = sms_safe(card, "ar", accents)
        if segment_report(sent).encoding is Encoding.UCS2:
            assert visible(sent) == visible(card)


latin1_text = st.text(
    st.characters(max_codepoint=0xFF, exclude_characters=ISOLATES) | st.sampled_from("“”‘’–—…•"),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(sessions, latin1_text, latin1_text, st.sampled_from(["en", "es"]))
@example(
    Session(
        "s1",
        NOW + timedelta(days=3),
        "Europe/Madrid",
        60,
        Localized({"en": "x"}),
        Localized({"en": "x"}),
        Localized({"en": "https://example.org/s/1"}),
    ),
    "¿Cuándo? «Taller» para niños — señal",
    "Próxima sesión: sábado",
    "es",
)
def test_a_latin_card_goes_out_as_gsm7_once_accents_are_stripped(
    session: Session, title: str, summary: str, language: str
) -> None:
    session = replace(
        session,
        title=Localized({"en": title or "x", language: title}),
        summary=Localized({"en": summary, language: summary}),
        link=Localized({"en": "https://example.org/s/1"}),
    )
    card = session_card(session, context(language, Catalog.of([session], [])))

    sent = sms_safe(card, language, AccentMode.STRIP)

    assert segment_report(sent).encoding is Encoding.GSM7, ascii(sent)
