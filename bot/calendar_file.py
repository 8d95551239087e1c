"""One session as an iCalendar file, so a parent can put it in their phone's calendar.

The event keeps the session's own time zone (with its VTIMEZONE) rather than UTC, so a
calendar app shows the organizers' wall-clock time even across a DST change. The UID is
stable and the
SEQUENCE follows the session's version, so re-opening the link after a reschedule or a
cancellation updates the event already in the calendar instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from icalendar import STATUS, Calendar, Event

from catalog.models import FALLBACK_LANGUAGE, LANGUAGES, Session, SessionStatus

PRODID = "-//Learning Sessions Bot//Session calendar//EN"
UID_DOMAIN = "learning-sessions-bot"


def session_ics(session: Session, language: str, now: datetime) -> bytes:
    """The file served at /sessions/{id}.ics; `now` is its DTSTAMP (when it was made).

    The texts are in `language` where the catalog has them and in English where it does
    not, so every language gets a complete event.
    """
    if language not in LANGUAGES:
        language = FALLBACK_LANGUAGE
    start = session.local_start
    end = session.ends_at.astimezone(session.zone)
    summary = session.summary.get(language)
    link = session.link.get(language)
    event = Event.new(
        uid=f"{session.id}@{UID_DOMAIN}",
        stamp=now.astimezone(UTC),
        start=start,
        end=end,
        summary=session.title.get(language),
        description="\n\n".join(text for text in (summary, link) if text) or None,
        url=link or None,
        # Calendar apps replace an event they hold only when SEQUENCE has grown.
        sequence=session.version - 1,
        status=STATUS.CANCELLED if session.status is SessionStatus.CANCELLED else STATUS.CONFIRMED,
    )
    # Calendar() rather than Calendar.new(): the latter adds a random calendar UID, and
    # the same session, language and clock should give the same bytes.
    calendar = Calendar()
    calendar.version = "2.0"
    calendar.prodid = PRODID
    calendar.calscale = "GREGORIAN"
    calendar.method = "PUBLISH"
    calendar.add_component(event)
    # Only the years the session touches: the default 1970-2038 history would be most of
    # the file, and a whole year still gives clients every rule the zone has.
    calendar.add_missing_timezones(
        first_date=date(start.year, 1, 1), last_date=date(end.year + 1, 1, 1)
    )
    ical: bytes = calendar.to_ical()  # untyped in icalendar 7.3
    return ical


def calendar_url(public_base_url: str | None, session_id: str, language: str) -> str | None:
    """The link reminders carry; None when the server has no public address to give."""
    if not public_base_url:
        return None
    # safe="": a "/" in an id must not become a path separator.
    path = quote(session_id, safe="")
    return f"{public_base_url.rstrip('/')}/sessions/{path}.ics?lang={language}"
