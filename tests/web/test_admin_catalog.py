"""The console's catalog pages: list, edit with notices confirmed first, import with preview."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.admin.catalog_diff import diff_catalogs, session_change
from bot.admin.catalog_forms import SessionForm, check_session
from bot.messages import Address, ChannelName
from bot.runtime import Runtime
from bot.store import catalog_repo, subscriptions
from bot.store import contacts as contact_store
from bot.store.tables import contacts, session_events
from catalog.io import check_catalog_text
from catalog.models import (
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionChange,
    SessionStatus,
    Topic,
)
from tests.conftest import NOW
from tests.support.console import page_token, signed_in
from tests.support.server import RunningServer, running_server

LA = ZoneInfo("America/Los_Angeles")
SESSION_ID = "family-voice-2026"
EDIT = f"/admin/catalog/sessions/{SESSION_ID}"
UPCOMING = Session(
    id=SESSION_ID,
    starts_at=datetime(2026, 12, 10, 17, 30, tzinfo=LA).astimezone(UTC),
    timezone="America/Los_Angeles",
    duration_minutes=90,
    title=Localized({"en": "Family Voice", "es": "La voz de las familias"}),
    summary=Localized({"en": "How parents shape decisions.", "es": "Cómo deciden las familias."}),
    link=Localized({"en": "https://example.org/live"}),
    topics=("family-engagement",),
)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime, workers=False) as running:
        yield running


@pytest.fixture
async def upcoming(runtime: Runtime) -> Session:
    """One session after NOW, its Arabic texts not written yet."""
    async with runtime.engine.begin() as connection:
        stored = await catalog_repo.load(connection)
        await catalog_repo.save(connection, Catalog.of([UPCOMING], [], stored.topics), NOW)
    return UPCOMING


async def person(
    runtime: Runtime,
    name: str,
    locale: str | None,
    topics: tuple[str, ...],
    *,
    channel: ChannelName = ChannelName.TELEGRAM,
    opted_out: bool = False,
) -> None:
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, Address(channel, name), NOW)
        for topic in topics:
            await subscriptions.subscribe(connection, contact.id, topic, NOW)
        await connection.execute(
            update(contacts)
            .where(contacts.c.id == contact.id)
            .values(locale=locale, opted_out=opted_out)
        )


@pytest.fixture
async def subscribers(runtime: Runtime) -> None:
    """Three people who follow the upcoming session, and three who will not hear of it."""
    await person(runtime, "ana", "es", ("*",))
    await person(runtime, "bob", None, ("*",))  # never chose a language: English
    await person(runtime, "sami", "ar", ("family-engagement",))
    await person(runtime, "tea", "en", ("teachers",))  # another topic
    await person(runtime, "gone", "en", ("*",), opted_out=True)
    await person(runtime, "term", "en", ("*",), channel=ChannelName.CONSOLE)  # nobody to send to


def session_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """The edit form of UPCOMING as a browser posts it, with `changes`."""
    fields: dict[str, str | list[str]] = {
        "starts_at": "2026-12-10T17:30",
        "timezone": "America/Los_Angeles",
        "duration_minutes": "90",
        "status": "scheduled",
        "topics": ["family-engagement"],
        "title.en": "Family Voice",
        "title.es": "La voz de las familias",
        "title.ar": "",
        "summary.en": "How parents shape decisions.",
        "summary.es": "Cómo deciden las familias.",
        "summary.ar": "",
        "link.en": "https://example.org/live",
        "link.es": "",
        "link.ar": "",
    }
    fields.update(changes)
    return fields


def encoded(fields: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    return [
        (name, item)
        for name, value in fields.items()
        for item in (value if isinstance(value, list) else [value])
    ]


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """What a browser posts back from a page's hidden inputs."""
    return [
        (html.unescape(name), html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    ]


async def post(
    client: aiohttp.ClientSession, path: str, fields: list[tuple[str, str]]
) -> tuple[int, str, str]:
    async with client.post(path, data=fields, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def stored(runtime: Runtime) -> Catalog:
    async with runtime.engine.connect() as connection:
        return await catalog_repo.load(connection)


async def events(runtime: Runtime) -> list[tuple[str, str, int]]:
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(session_events.c.session_id, session_events.c.kind, session_events.c.version)
        )
        return [tuple(row) for row in rows]


# --- the list -------------------------------------------------------------------------------


async def test_the_list_puts_upcoming_sessions_first_and_flags_missing_translations(
    server: RunningServer, upcoming: Session
) -> None:
    async with signed_in(server.url) as client, client.get("/admin/catalog") as page:
        assert page.status == 200
        text = await page.text()
    upcoming_at = text.index(f'id="session-{SESSION_ID}"')
    assert upcoming_at < text.index('id="session-needs-assets-assessment"'), "past ones follow"
    row = text[upcoming_at : text.index("</tr>", upcoming_at)]
    assert "Thu, Dec 10, 2026 5:30\u202fPM PST" in row, "on the session's own clock"
    assert "Arabic missing: Title, Summary, Link" in row
    assert "Spanish missing: Link" in row, "only the link has no Spanish"
    assert f'href="/admin/catalog/sessions/{SESSION_ID}"' in row
    assert 'href="/admin/catalog/export.csv"' in text


async def test_the_edit_form_flags_missing_translations_and_writes_arabic_right_to_left(
    server: RunningServer, upcoming: Session
) -> None:
    async with signed_in(server.url) as client, client.get(EDIT) as page:
        text = await page.text()
    assert re.search(r'<input id="title-ar" name="title.ar" type="text" lang="ar" dir="rtl"', text)
    assert re.search(r'<textarea id="summary-ar" name="summary.ar" lang="ar" dir="rtl"', text)
    ar_title = text[text.index('<div class="lang-ar">') : text.index('id="title-ar"')]
    assert "missing" in ar_title, "the empty Arabic title is flagged next to its field"
    es_title = text[text.index('<div class="lang-es">') : text.index('id="title-es"')]
    assert "missing" not in es_title
    assert 'value="2026-12-10T17:30"' in text, "the start on the session's clock"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalog",
        EDIT,
        "/admin/catalog/sessions/new",
        "/admin/catalog/resources/beacons-of-hope",
        "/admin/catalog/resources/new",
        "/admin/catalog/import",
    ],
)
async def test_every_catalog_page_opens_in_spanish(
    server: RunningServer, upcoming: Session, path: str
) -> None:
    async with signed_in(server.url) as client:
        client.cookie_jar.update_cookies({"admin_lang": "es"})
        async with client.get(path) as page:
            assert page.status == 200
            assert '<html lang="es">' in await page.text()


# --- editing a session ----------------------------------------------------------------------


async def test_moving_a_session_shows_the_notice_and_its_readers_and_saves_only_when_confirmed(
    server: RunningServer, runtime: Runtime, upcoming: Session, subscribers: None
) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, EDIT)
        moved = session_form(starts_at="2026-12-17T18:00")
        status, page, _ = await post(client, EDIT, [("csrf_token", token), *encoded(moved)])
        assert status == 200
        text = html.unescape(page)
        assert "3 subscribers will get this notice." in text
        assert 'New date: "Family Voice" has moved.' in text
        assert 'Nueva fecha para "La voz de las familias":' in text
        assert "Thursday, December 17, 2026 at 6:00\u202fPM (Pacific Time)" in text
        assert re.search(r'<div class="bubble out" lang="ar" dir="rtl">موعد جديد', text)
        for language in ("English", "Spanish", "Arabic"):
            assert f'{language} <span class="badge">1 person</span>' in text
        assert (await stored(runtime)).session(SESSION_ID) == upcoming, "nothing saved yet"
        assert await events(runtime) == []

        status, _, location = await post(client, EDIT, hidden_fields(page))
        assert status == 303
        assert location == f"/admin/catalog?saved=session&id={SESSION_ID}&notified=3"
        async with client.get(location) as listing:
            assert "3 subscribers will get the notice." in await listing.text()
    saved = (await stored(runtime)).session(SESSION_ID)
    assert saved is not None
    assert saved.starts_at == datetime(2026, 12, 17, 18, 0, tzinfo=LA)
    assert await events(runtime) == [(SESSION_ID, "rescheduled", 2)]


async def test_cancelling_shows_the_cancellation_notice_before_saving(
    server: RunningServer, runtime: Runtime, upcoming: Session, subscribers: None
) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, EDIT)
        cancelled = session_form(status="cancelled")
        _, page, _ = await post(client, EDIT, [("csrf_token", token), *encoded(cancelled)])
        text = html.unescape(page)
        assert 'Cancelled: "Family Voice", planned for Thursday, December 10, 2026' in text
        assert "Save and notify 3 subscribers" in text
        # Going back to the form keeps what was chosen and saves nothing.
        back = [*hidden_fields(page), ("edit", "1")]
        status, form_page, _ = await post(client, EDIT, back)
        assert status == 200
        assert '<option value="cancelled" selected>' in form_page
    assert (await stored(runtime)).session(SESSION_ID) == upcoming
    assert await events(runtime) == []


async def test_saving_a_session_unchanged_moves_nothing_and_tells_nobody(
    server: RunningServer, runtime: Runtime, upcoming: Session, subscribers: None
) -> None:
    async with signed_in(server.url) as client:
        token = await page_token(client, EDIT)
        fields = [("csrf_token", token), *encoded(session_form(**{"title.ar": "صوت الأسر"}))]
        status, _, location = await post(client, EDIT, fields)
    assert status == 303
    assert "notified" not in location
    saved = (await stored(runtime)).session(SESSION_ID)
    assert saved is not None
    assert saved.title.get("ar") == "صوت الأسر"
    assert (saved.starts_at, saved.version) == (upcoming.starts_at, upcoming.version)
    assert await events(runtime) == []


async def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_saved(
    server: RunningServer, runtime: Runtime, upcoming: Session
) -> None:
    wrong = session_form(
        **{
            "starts_at": "2027-03-14T02:30",  # the hour the clocks skip in California
            "duration_minutes": "0",
            "title.en": "",
            "link.es": "example.org/es",
        }
    )
    async with signed_in(server.url) as client:
        token = await page_token(client, EDIT)
        status, page, _ = await post(client, EDIT, [("csrf_token", token), *encoded(wrong)])
    assert status == 422
    for key, message in (
        ("starts_at", "02:30 does not exist in this time zone"),
        ("duration_minutes", "Enter a whole number of minutes from 1 to 1440."),
        ("title-en", "Write it in English too"),
        ("link-es", "Enter a full web address starting with https://"),
    ):
        field = re.search(rf'<(input|textarea)[^>]* id="{key}"[^>]*>', page)
        assert field is not None, key
        assert f'aria-describedby="error-{key}"' in field.group(0)
        assert 'aria-invalid="true"' in field.group(0)
        error = re.search(rf'<p class="field-error" id="error-{key}">([^<]*)</p>', page)
        assert error is not None and message in html.unescape(error.group(1)), key
        assert page.index(field.group(0)) < error.start(), "the error follows its field"
    assert 'value="example.org/es"' in page, "what was typed is kept"
    assert 'value="2027-03-14T02:30"' in page
    assert 'aria-invalid="true"' not in re.search(r'<input id="title-es"[^>]*>', page).group(0)
    assert (await stored(runtime)).session(SESSION_ID) == upcoming


async def test_a_new_session_is_created_and_its_name_must_be_free(
    server: RunningServer, runtime: Runtime, upcoming: Session
) -> None:
    path = "/admin/catalog/sessions/new"
    async with signed_in(server.url) as client:
        token = await page_token(client, path)
        taken = [("csrf_token", token), ("id", SESSION_ID), *encoded(session_form())]
        status, page, _ = await post(client, path, taken)
        assert status == 422
        assert "This name is already used" in page
        fresh = [("csrf_token", token), ("id", "spring-2027"), *encoded(session_form())]
        status, _, location = await post(client, path, fresh)
        assert status == 303
        assert location == "/admin/catalog?saved=session&id=spring-2027"
    created = (await stored(runtime)).session("spring-2027")
    assert created is not None
    assert created.title.values == {"en": "Family Voice", "es": "La voz de las familias"}
    assert await events(runtime) == [], "a new session is news to nobody yet"


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    server: RunningServer, runtime: Runtime, upcoming: Session
) -> None:
    moved = encoded(session_form(starts_at="2026-12-17T18:00"))
    async with signed_in(server.url) as client:
        status, _, _ = await post(client, EDIT, [*moved, ("confirm", "rescheduled")])
        assert status == 403
        status, _, _ = await post(client, "/admin/catalog/import/apply", [("format", "yaml")])
        assert status == 403
    assert (await stored(runtime)).session(SESSION_ID) == upcoming


async def test_an_unknown_session_is_not_found(server: RunningServer) -> None:
    async with signed_in(server.url) as client:
        async with client.get("/admin/catalog/sessions/nope") as page:
            assert page.status == 404
        token = await page_token(client, "/admin/catalog")
        status, _, _ = await post(client, "/admin/catalog/sessions/nope", [("csrf_token", token)])
        assert status == 404


# --- resources ------------------------------------------------------------------------------


async def test_a_resource_is_edited_with_its_mistakes_shown_first(
    server: RunningServer, runtime: Runtime
) -> None:
    path = "/admin/catalog/resources/beacons-of-hope"
    before = next(r for r in (await stored(runtime)).resources if r.id == "beacons-of-hope")
    async with signed_in(server.url) as client:
        token = await page_token(client, path)
        fields = [
            ("csrf_token", token),
            ("kind", "report"),
            ("sessions", "needs-assets-assessment"),
            ("topics", "equity"),
            ("title.en", "Beacons of Hope"),
            ("title.ar", "منارات الأمل"),
            ("link.en", ""),
        ]
        status, page, _ = await post(client, path, fields)
        assert status == 422
        assert '<p class="field-error" id="error-link-en">' in page
        assert 'value="منارات الأمل"' in page
        assert next(r for r in (await stored(runtime)).resources if r.id == before.id) == before
        fixed = [*fields[:-1], ("link.en", "https://example.org/beacons")]
        status, _, location = await post(client, path, fixed)
        assert status == 303
        assert location.startswith("/admin/catalog?saved=resource&id=beacons-of-hope")
    after = next(r for r in (await stored(runtime)).resources if r.id == before.id)
    assert after.link.values == {"en": "https://example.org/beacons"}
    assert after.session_ids == ("needs-assets-assessment",)
    assert after.title.values == {"en": "Beacons of Hope", "ar": "منارات الأمل"}


# --- import ---------------------------------------------------------------------------------

CSV_HEADER = (
    "type,id,starts_at,timezone,duration_minutes,status,kind,topics,sessions,"
    "title_en,title_es,title_ar,summary_en,summary_es,summary_ar,link_en,link_es,link_ar,"
    "keywords_en,keywords_es,keywords_ar"
)
MOVED_YAML = f"""\
sessions:
  - id: {SESSION_ID}
    starts_at: 2026-12-17T18:00:00
    timezone: America/Los_Angeles
    duration_minutes: 90
    topics: [family-engagement]
    title: {{en: "Family Voice", es: "La voz de las familias"}}
    summary: {{en: "How parents shape decisions.", es: "Cómo deciden las familias."}}
    link: {{en: "https://example.org/live"}}
  - id: spring-2027
    starts_at: 2027-04-08T17:00:00
    timezone: America/Los_Angeles
    title: {{en: "Spring session", es: "Sesión de primavera", ar: "جلسة الربيع"}}
"""


async def upload(
    client: aiohttp.ClientSession, name: str, content: str, *, replace_all: bool = False
) -> tuple[int, str]:
    token = await page_token(client, "/admin/catalog/import")
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    data.add_field("file", content.encode(), filename=name, content_type="application/octet-stream")
    if replace_all:
        data.add_field("replace", "1")
    async with client.post("/admin/catalog/import/preview", data=data) as response:
        return response.status, await response.text()


def apply_form(page: str) -> aiohttp.FormData:
    """The preview's apply form as a browser sends it (a textarea's lines end in CRLF)."""
    data = aiohttp.FormData()
    for name, value in hidden_fields(page):
        data.add_field(name, value)
    content = re.search(r'<textarea name="content" hidden>\n(.*?)</textarea>', page, re.S)
    assert content is not None
    data.add_field("content", html.unescape(content.group(1)).replace("\n", "\r\n"))
    return data


async def test_a_csv_with_a_bad_row_shows_its_line_and_column_and_imports_nothing(
    server: RunningServer, runtime: Runtime
) -> None:
    before = await stored(runtime)
    good = "session,good-2027,2027-02-01T17:00,America/Los_Angeles,60,,,,,Good,,,,,,https://example.org,,,,,"
    bad = "session,bad-2027,2027-02-02T17:00,America/Los_Angeles,60,,,,,Bad,,,,,,not a link,,,,,"
    async with signed_in(server.url) as client:
        status, page = await upload(client, "catalog.csv", f"{CSV_HEADER}\n{good}\n{bad}\n")
    assert status == 422
    assert "1 problem in the file: nothing was imported." in page
    row = re.search(
        r'<tr><td class="num">3</td><td><code>link_en</code></td><td[^>]*>([^<]*)</td>', page
    )
    assert row is not None, "the problem names line 3 and the link_en column"
    assert "not an http(s) address" in html.unescape(row.group(1))
    assert "/admin/catalog/import/apply" not in page
    assert await stored(runtime) == before


async def test_a_yaml_import_is_previewed_with_its_notices_then_applied(
    server: RunningServer, runtime: Runtime, upcoming: Session, subscribers: None
) -> None:
    async with signed_in(server.url) as client:
        status, page = await upload(client, "moves.yaml", MOVED_YAML)
        assert status == 200
        text = html.unescape(page)
        assert re.search(r'<div class="stat">1</div>new', text)
        assert re.search(r'<div class="stat">1</div>changed', text)
        assert "Moved from Thu, Dec 10, 2026 5:30\u202fPM PST to Thu, Dec 17, 2026" in text
        assert "3 subscribers will get this notice." in text
        assert "Import and notify 3 subscribers" in text
        assert (await stored(runtime)).session("spring-2027") is None, "a preview writes nothing"
        assert await events(runtime) == []

        async with client.post("/admin/catalog/import/apply", data=apply_form(page)) as response:
            assert response.status == 200
            done = html.unescape(await response.text())
    assert "1 new, 1 changed, 0 removed, 0 unchanged." in done
    assert "3 subscribers will be told about the changed sessions." in done
    catalog = await stored(runtime)
    moved = catalog.session(SESSION_ID)
    assert moved is not None and moved.starts_at == datetime(2026, 12, 17, 18, tzinfo=LA)
    spring = catalog.session("spring-2027")
    assert spring is not None and spring.duration_minutes == 90
    assert await events(runtime) == [(SESSION_ID, "rescheduled", 2)]


async def test_an_import_checked_before_someone_else_saved_is_shown_again_not_applied(
    server: RunningServer, runtime: Runtime, upcoming: Session
) -> None:
    async with signed_in(server.url) as client:
        _, page = await upload(client, "moves.yaml", MOVED_YAML)
        async with runtime.engine.begin() as connection:
            renamed = replace(upcoming, title=Localized({"en": "Family Voice, renamed"}))
            await catalog_repo.save(connection, Catalog.of([renamed], []), NOW)
        async with client.post("/admin/catalog/import/apply", data=apply_form(page)) as response:
            assert response.status == 200
            assert "The catalog changed since you checked this file" in await response.text()
    assert (await stored(runtime)).session("spring-2027") is None


async def test_a_date_at_the_end_of_the_calendar_is_a_problem_not_a_server_error(
    server: RunningServer,
) -> None:
    far = MOVED_YAML.replace("2027-04-08T17:00:00", "9999-12-31T23:00:00")
    async with signed_in(server.url) as client:
        status, page = await upload(client, "far.yaml", far)
    assert status == 422
    assert "is out of range" in page


async def test_an_upload_that_is_not_a_catalog_file_is_refused_next_to_the_field(
    server: RunningServer,
) -> None:
    async with signed_in(server.url) as client:
        status, page = await upload(client, "notes.txt", "hello")
    assert status == 422
    assert '<p class="field-error" id="error-file">' in page


async def test_the_export_reads_back_as_the_stored_catalog(
    server: RunningServer, runtime: Runtime, upcoming: Session
) -> None:
    async with (
        signed_in(server.url) as client,
        client.get("/admin/catalog/export.csv") as response,
    ):
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        body = await response.read()
    assert body.startswith(b"\xef\xbb\xbf"), "spreadsheets see UTF-8"
    exported, problems = check_catalog_text(body, "csv", "export.csv")
    assert [p for p in problems if p.severity == "error"] == []
    current = await stored(runtime)
    assert exported == replace(
        current, sessions=tuple(replace(s, version=1) for s in current.sessions)
    )


# --- what a save would change, worked out beforehand ----------------------------------------


def session(session_id: str, start: datetime, **changes: object) -> Session:
    base = Session(
        id=session_id,
        starts_at=start,
        timezone="America/Los_Angeles",
        duration_minutes=60,
        title=Localized({"en": session_id}),
        summary=Localized({}),
        link=Localized({"en": "https://example.org/live"}),
    )
    return replace(base, **changes)


AHEAD = NOW + timedelta(days=5)
PAST = NOW - timedelta(days=5)
CASES = {
    "moved while ahead": (session("s", AHEAD), session("s", AHEAD + timedelta(days=1))),
    "moved from the past to ahead": (session("s", PAST), session("s", AHEAD)),
    "cancelled while ahead": (
        session("s", AHEAD),
        session("s", AHEAD, status=SessionStatus.CANCELLED),
    ),
    "cancelled when past": (session("s", PAST), session("s", PAST, status=SessionStatus.CANCELLED)),
    "recording published": (
        session("s", PAST),
        session("s", PAST, link=Localized({"en": "https://example.org/recording"})),
    ),
    "reworded": (session("s", AHEAD), session("s", AHEAD, title=Localized({"en": "New"}))),
    "longer": (session("s", AHEAD), session("s", AHEAD, duration_minutes=90)),
}


@pytest.mark.parametrize("case", CASES)
async def test_the_preview_expects_the_notices_that_saving_records(
    runtime: Runtime, case: str
) -> None:
    old, new = CASES[case]
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of([old], []), NOW)
        await connection.execute(session_events.delete())
        await catalog_repo.save(connection, Catalog.of([new], []), NOW)
    recorded = [kind for _, kind, _ in await events(runtime)]
    expected = session_change(old, new, NOW)
    assert recorded == ([expected.value] if expected else [])


def test_the_diff_of_a_merge_lists_new_changed_and_same_items_and_the_notices() -> None:
    topic = Topic("t", Localized({"en": "T"}))
    report = Resource(
        "r", ResourceKind.REPORT, Localized({"en": "R"}), Localized({"en": "https://x.org"})
    )
    stored_catalog = Catalog.of(
        [replace(session("a", AHEAD), version=3), session("b", AHEAD)], [report], [topic]
    )
    incoming = Catalog.of(
        [
            session("a", AHEAD),
            session("b", AHEAD, status=SessionStatus.CANCELLED),
            session("c", AHEAD),
        ],
        [],
        [topic],
    )
    diff = diff_catalogs(stored_catalog, incoming, NOW)
    assert [(i.kind, i.id) for i in diff.added] == [("session", "c")]
    assert [(i.kind, i.id) for i in diff.updated] == [("session", "b")]
    assert [(i.kind, i.id) for i in diff.unchanged] == [("topic", "t"), ("session", "a")]
    assert diff.removed == ()
    assert [(a.change, a.session.id) for a in diff.announcements] == [
        (SessionChange.CANCELLED, "b")
    ]


def test_the_diff_of_a_replacement_lists_what_goes_and_the_sessions_dropped_unannounced() -> None:
    stored_catalog = Catalog.of([session("a", AHEAD), session("old", PAST)], [])
    diff = diff_catalogs(stored_catalog, Catalog.of([], []), NOW, replace_all=True)
    assert sorted(i.id for i in diff.removed) == ["a", "old"]
    assert [s.id for s in diff.removed_ahead] == ["a"]
    assert diff.changed
    assert not diff_catalogs(stored_catalog, stored_catalog, NOW).changed


# --- the form's rules -----------------------------------------------------------------------


def test_an_untouched_start_in_the_repeated_autumn_hour_keeps_its_instant() -> None:
    # 01:30 happens twice in California on 2026-11-01; this is the second one (PST).
    second = datetime(2026, 11, 1, 1, 30, tzinfo=LA, fold=1).astimezone(UTC)
    existing = session("s", second)
    checked, errors = check_session(SessionForm.of(existing), Catalog.of([existing], []), existing)
    assert errors == {}
    assert checked is not None and checked.starts_at == second


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        ("2027-03-14T02:30", "02:30 does not exist in this time zone"),
        ("9999-12-31T23:00", "Enter a date and a time"),
        ("2027-01-14", "Enter a date and a time"),
        ("2027-01-14T17:30+02:00", "Enter a date and a time"),
        ("", "Enter the date and time the session starts."),
    ],
)
def test_a_start_that_names_no_moment_in_the_zone_is_refused(starts_at: str, message: str) -> None:
    form = replace(SessionForm.of(session("s", AHEAD)), id="new-one", starts_at=starts_at)
    checked, errors = check_session(form, Catalog(), None)
    assert checked is None
    assert message in errors["starts_at"]


@pytest.mark.parametrize("item_id", ["new", "Has-Capitals", "-dash-first", "a" * 65])
def test_a_new_item_needs_a_usable_short_name(item_id: str) -> None:
    form = replace(SessionForm.of(session("s", AHEAD)), id=item_id)
    _, errors = check_session(form, Catalog(), None)
    assert "Use only lowercase letters" in errors["id"]
