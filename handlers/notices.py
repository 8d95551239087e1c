"""What subscribers read in reminders and in notices of a changed session.

These are not answers to a message, so they carry what a reply's context would give:
the session's name, when it is on the reader's clock, the link in their language, and
how to stop them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from catalog.models import Session, SessionChange
from handlers.render import link_line, text


def how_soon(starts_at: datetime, sent_at: datetime, zone: ZoneInfo, tr: Translator) -> str:
    """ "in 1 hour", "tomorrow", "in 3 days": measured from when the reminder really goes
    out (quiet hours may move it), on the reader's calendar for whole days."""
    left = starts_at - sent_at
    if left < timedelta(hours=2):
        minutes = max(1, round(left.total_seconds() / 60))
        if minutes % 60 == 0:
            return tr.ngettext("in {n} hour", "in {n} hours", minutes // 60)
        return tr.ngettext("in {n} minute", "in {n} minutes", minutes)
    days = (starts_at.astimezone(zone).date() - sent_at.astimezone(zone).date()).days
    if days <= 0:
        return tr.gettext("today")
    if days == 1:
        return tr.gettext("tomorrow")
    return tr.ngettext("in {n} day", "in {n} days", days)


def _calendar_line(calendar_url: str | None, tr: Translator) -> list[str]:
    if not calendar_url:
        return []
    return [tr.gettext("Add it to your calendar: {url}", url=calendar_url)]


def reminder(
    session: Session,
    sent_at: datetime,
    zone: ZoneInfo,
    tr: Translator,
    calendar_url: str | None,
) -> str:
    lines = [
        tr.gettext(
            'Reminder: "{title}" starts {soon}.',
            title=text(session.title, tr),
            soon=how_soon(session.starts_at, sent_at, zone, tr),
        ),
        tr.when(session.starts_at, zone),
        link_line(tr.gettext("Join here:"), session.link, tr),
        *_calendar_line(calendar_url, tr),
        tr.gettext("To turn reminders off, send NO REMINDERS."),
    ]
    return "\n".join(lines)


def notice(
    kind: SessionChange,
    session: Session,
    zone: ZoneInfo,
    tr: Translator,
    calendar_url: str | None,
) -> str:
    title = text(session.title, tr)
    if kind is SessionChange.CANCELLED:
        lines = [
            tr.gettext(
                'Cancelled: "{title}", planned for {date}, will not take place.',
                title=title,
                date=tr.date(session.starts_at, zone),
            ),
            tr.gettext("Send NEXT to see the sessions still ahead."),
        ]
    elif kind is SessionChange.RESCHEDULED:
        lines = [
            tr.gettext('New date: "{title}" has moved.', title=title),
            tr.when(session.starts_at, zone),
            link_line(tr.gettext("Join here:"), session.link, tr),
            *_calendar_line(calendar_url, tr),
        ]
    else:
        lines = [
            tr.gettext('The recording of "{title}" is ready.', title=title),
            link_line(tr.gettext("Watch the recording:"), session.link, tr),
        ]
    return "\n".join(lines)
