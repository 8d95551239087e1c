"""Catalog text full of markup reaches parents and organizers as text, never as markup.

Organizers type session titles and descriptions by hand or import them from a spreadsheet,
so `<`, `&`, quotes and even `<script>` can be in them. Telegram's HTML parse mode would
take them for tags (the fake Telegram refuses what Telegram would refuse) and the console
would run them; both must show exactly what the organizer typed.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.store import catalog_repo
from bot.store.tables import outbox
from catalog.models import Catalog, Localized, Session
from tests.conftest import NOW
from tests.support.console import signed_in
from tests.support.fake_telegram import text_update
from tests.support.server import RunningServer, running_server

SESSION_ID = "markup-in-titles-2026"
SCRIPT = "<script>alert('x')</script>"
TITLES = {
    "en": f"Fish & Chips {SCRIPT} \"quoted\" 'single' a<b>c</b> x < y > z",
    "es": f'Padres & maestros {SCRIPT} "¿cuándo?" <i>hoy',
    "ar": f'الأسرة & المدرسة {SCRIPT} "نعم" <u>اليوم',
}
SUMMARIES = {
    "en": 'Bring "snacks" & <i>friends</i>; &amp; stays as typed. </p><img src=x onerror=alert(1)>',
    "es": 'Traigan "bocadillos" & <b>amigos</b> &lt;no&gt;',
    "ar": 'أحضروا "الأصدقاء" & <b>الأطفال</b> &quot;',
}
LINK = "https://example.org/live?a=1&b=2"
MARKED_UP = Session(
    id=SESSION_ID,
    starts_at=datetime(2026, 12, 10, 17, 30, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(
        UTC
    ),
    timezone="America/Los_Angeles",
    duration_minutes=90,
    title=Localized(TITLES),
    summary=Localized(SUMMARIES),
    link=Localized({"en": LINK}),
    topics=("family-engagement",),
)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with runtime.engine.begin() as connection:
        stored = await catalog_repo.load(connection)
        await catalog_repo.save(connection, Catalog.of([MARKED_UP], [], stored.topics), NOW)
    async with running_server(runtime) as running:
        yield running


async def telegram_html(server: RunningServer, chat: int, text: str, language: str) -> list[str]:
    """The HTML of every message the fake Telegram accepted for `chat` after `text`."""
    before = len(server.telegram.sent)
    response = await server.post_update(
        text_update(chat * 10 + len(server.telegram.sent), chat, text, language_code=language)
    )
    assert response.status == 200
    await server.services.inbox.close()
    return [m["text"] for m in server.telegram.sent[before:] if m["chat_id"] == chat]


@pytest.mark.parametrize("language", ["en", "es", "ar"])
async def test_telegram_shows_a_title_and_summary_full_of_markup_exactly_as_typed(
    server: RunningServer, runtime: Runtime, language: str
) -> None:
    chat = 4_400_000 + ["en", "es", "ar"].index(language)
    card = await telegram_html(server, chat, f"/start {SESSION_ID}", language)
    listing = await telegram_html(server, chat, "/sessions", language)
    async with runtime.engine.connect() as connection:
        statuses = (
            await connection.execute(select(outbox.c.status).where(outbox.c.address == str(chat)))
        ).scalars()
        assert set(statuses) == {"sent"}, "the fake refused none of them as bad markup"
    shown = [message for message in card + listing if "&lt;script&gt;" in message]
    assert len(shown) == 2, "the card and the list each show the title"
    for message in card + listing:
        assert "<script" not in message.lower()
        assert not re.search(r"<(?!/?(?:b|i|u|s|code|pre|a)\b)", message), "only Telegram tags"
    read = html.unescape(shown[0])
    assert TITLES[language] in read
    assert SUMMARIES[language] in read
    assert LINK in read
    assert TITLES[language] in html.unescape(shown[1])


async def test_the_console_shows_a_title_and_summary_full_of_markup_as_text(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        async with client.get("/admin/catalog") as page:
            assert page.status == 200
            listing = await page.text()
        async with client.get(f"/admin/catalog/sessions/{SESSION_ID}") as page:
            assert page.status == 200
            form = await page.text()
    for text in (listing, form):
        assert SCRIPT not in text
        assert "<img src=x" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    link = re.search(
        rf'href="/admin/catalog/sessions/{SESSION_ID}" dir="auto">([^<]*)</a>', listing
    )
    assert link is not None
    assert html.unescape(link.group(1)) == TITLES["en"]
    for language in ("en", "es", "ar"):
        value = re.search(rf'<input id="title-{language}" [^>]*value="([^"]*)"', form)
        assert value is not None, "every quote in the title is escaped inside the attribute"
        assert html.unescape(value.group(1)) == TITLES[language]
        summary = re.search(rf'<textarea id="summary-{language}" [^>]*>([^<]*)</textarea>', form)
        assert summary is not None
        assert html.unescape(summary.group(1)) == SUMMARIES[language]
