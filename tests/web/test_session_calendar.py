"""GET /sessions/{id}.ics as a parent's phone sees it, and the link reminders will carry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from multidict import CIMultiDictProxy

from bot.calendar_file import calendar_url, session_ics
from bot.runtime import Runtime
from bot.store import catalog_repo
from catalog.models import Catalog, Localized, Session, SessionStatus
from tests.support.server import RunningServer, running_server

BUNDLED_ID = "needs-assets-assessment"
PACIFIC = ZoneInfo("America/Los_Angeles")
STAMP = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server(runtime: Runtime) -> AsyncIterator[RunningServer]:
    async with running_server(runtime, workers=False) as running:
        yield running


async def fetch(server: RunningServer, path: str) -> tuple[int, CIMultiDictProxy[str], bytes]:
    async with server.client.get(server.url + path) as response:
        return response.status, response.headers, await response.read()


def only_event(body: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, icalendar.Event)
    return event


FAMILY_NIGHT = Session(
    id="family-night",
    # 18:00 on the evening the clocks fall back: PST, UTC-8, so 02:00Z the next day.
    starts_at=datetime(2026, 11, 1, 18, 0, tzinfo=PACIFIC).astimezone(UTC),
    timezone="America/Los_Angeles",
    duration_minutes=90,
    title=Localized({"en": "Family night", "es": "Noche familiar", "ar": "ليلة العائلة"}),
    summary=Localized({"en": "Games and talk.", "es": "Juegos y charla."}),
    link=Localized({"en": "https://example.org/family-night"}),
)


async def save(runtime: Runtime, *sessions: Session) -> None:
    async with runtime.engine.begin() as connection:
        await catalog_repo.save(connection, Catalog.of(sessions, []), runtime.clock())


async def test_the_file_is_a_calendar_event_in_spanish_with_its_time_zone(
    server: RunningServer,
) -> None:
    status, headers, body = await fetch(server, f"/sessions/{BUNDLED_ID}.ics?lang=es")
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Disposition"] == f'attachment; filename="{BUNDLED_ID}.ics"'
    assert headers["Cache-Control"] == "public, max-age=300"

    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    event = only_event(body)
    assert event["UID"] == f"{BUNDLED_ID}@learning-sessions-bot"
    assert event["SUMMARY"] == (
        "Los primeros pasos hacia la transformación escolar: "
        "una evaluación inclusiva de necesidades y fortalezas"
    )
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert event["DTSTART"].dt == datetime(2022, 1, 13, 16, 0, tzinfo=PACIFIC)
    assert event["DTEND"].dt == datetime(2022, 1, 13, 17, 30, tzinfo=PACIFIC)
    assert event["DTSTAMP"].dt == server.services.runtime.clock()
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert event["URL"] == "https://futureoflearningca.org/shared-learning/"
    assert event["DESCRIPTION"].startswith("Cómo hacer una evaluación completa")
    assert event["DESCRIPTION"].endswith("\n\nhttps://futureoflearningca.org/shared-learning/")


async def test_the_arabic_file_has_the_arabic_title(server: RunningServer) -> None:
    status, _, body = await fetch(server, f"/sessions/{BUNDLED_ID}.ics?lang=ar")
    assert status == 200
    event = only_event(body)
    assert event["UID"] == f"{BUNDLED_ID}@learning-sessions-bot"
    assert event["SUMMARY"] == (
        "الخطوات الأولى نحو تحويل المدارس: تقييم شامل للاحتياجات ونقاط القوة"
    )


async def test_without_lang_the_file_is_in_english(server: RunningServer) -> None:
    status, _, body = await fetch(server, f"/sessions/{BUNDLED_ID}.ics")
    assert status == 200
    assert only_event(body)["SUMMARY"] == (
        "The First Steps Toward School Transformation: An Inclusive Needs/Assets Assessment"
    )


async def test_a_session_after_the_fall_back_starts_at_its_local_wall_clock_time(
    runtime: Runtime, server: RunningServer
) -> None:
    await save(runtime, FAMILY_NIGHT)
    status, _, body = await fetch(server, "/sessions/family-night.ics?lang=en")
    assert status == 200
    assert b"DTSTART;TZID=America/Los_Angeles:20261101T180000" in body
    event = only_event(body)
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert event["DTEND"].dt.astimezone(UTC) == datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
    # A client that reads the VTIMEZONE rather than its own tz database gets PST too.
    timezone = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0]
    onsets = sorted(
        (part["DTSTART"].dt, part["TZOFFSETTO"].td)
        for part in timezone.subcomponents
        if part["DTSTART"].dt <= datetime(2026, 11, 1, 18, 0)
    )
    assert onsets[-1] == (datetime(2026, 11, 1, 2, 0), timedelta(hours=-8))


async def test_texts_missing_in_a_language_fall_back_to_english(
    runtime: Runtime, server: RunningServer
) -> None:
    await save(runtime, FAMILY_NIGHT)
    _, _, body = await fetch(server, "/sessions/family-night.ics?lang=ar")
    event = only_event(body)
    assert event["SUMMARY"] == "ليلة العائلة"
    assert event["DESCRIPTION"] == "Games and talk.\n\nhttps://example.org/family-night"
    assert event["URL"] == "https://example.org/family-night"


async def test_a_cancelled_session_is_a_cancelled_event(
    runtime: Runtime, server: RunningServer
) -> None:
    await save(runtime, replace(FAMILY_NIGHT, status=SessionStatus.CANCELLED))
    _, _, body = await fetch(server, "/sessions/family-night.ics?lang=es")
    assert only_event(body)["STATUS"] == "CANCELLED"


async def test_a_rescheduled_session_has_a_higher_sequence_so_calendars_update_it(
    runtime: Runtime, server: RunningServer
) -> None:
    await save(runtime, FAMILY_NIGHT)
    later = datetime(2026, 11, 8, 18, 0, tzinfo=PACIFIC).astimezone(UTC)
    await save(runtime, replace(FAMILY_NIGHT, starts_at=later))
    _, _, body = await fetch(server, "/sessions/family-night.ics?lang=en")
    event = only_event(body)
    assert event["SEQUENCE"] == 1
    assert event["UID"] == "family-night@learning-sessions-bot"
    assert event["DTSTART"].dt == datetime(2026, 11, 8, 18, 0, tzinfo=PACIFIC)


async def test_an_unknown_session_is_404(server: RunningServer) -> None:
    status, headers, body = await fetch(server, "/sessions/no-such-session.ics?lang=en")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert body.decode().strip() == "no such session"


async def test_a_language_the_bot_does_not_speak_is_400_naming_the_allowed_ones(
    server: RunningServer,
) -> None:
    status, headers, body = await fetch(server, f"/sessions/{BUNDLED_ID}.ics?lang=fr")
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert body.decode().strip() == "lang must be one of: en, es, ar"


def test_session_ics_treats_an_unknown_language_as_english() -> None:
    event = only_event(session_ics(FAMILY_NIGHT, "fr", STAMP))
    assert event["SUMMARY"] == "Family night"


def test_session_ics_leaves_out_url_when_there_is_no_link() -> None:
    event = only_event(session_ics(replace(FAMILY_NIGHT, link=Localized()), "es", STAMP))
    assert "URL" not in event
    assert event["DESCRIPTION"] == "Juegos y charla."


def test_calendar_url_needs_a_public_base_url() -> None:
    assert calendar_url(None, "family-night", "es") is None
    assert calendar_url("", "family-night", "es") is None


def test_calendar_url_joins_the_base_and_quotes_the_id() -> None:
    assert (
        calendar_url("https://bot.example.org/", "family-night", "ar")
        == "https://bot.example.org/sessions/family-night.ics?lang=ar"
    )
    assert (
        calendar_url("https://bot.example.org/base", "a b/c", "en")
        == "https://bot.example.org/base/sessions/a%20b%2Fc.ics?lang=en"
    )
