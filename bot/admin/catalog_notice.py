"""The notice subscribers will get about a moved, cancelled or recorded session, and how
many will get it: shown to the organizer before the change is saved.

The people counted are the ones the scheduler will queue the notice for (`Scheduler.
_notify_one`): subscribers to one of the session's topics or to every session, not opted
out, on a channel bulk messages go to. The texts are `handlers.notices.notice` in each
language, on the bot's clock (each person reads it on their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.calendar_file import calendar_url
from bot.config import Settings
from bot.fanout import Audience, contact_language, recipients, subscribed_to
from bot.i18n import I18n
from bot.store.subscriptions import ALL_SESSIONS
from catalog.models import LANGUAGES, Session, SessionChange
from handlers.notices import notice


@dataclass(frozen=True)
class NoticeText:
    language: str
    people: int
    text: str


@dataclass(frozen=True)
class NoticePreview:
    change: SessionChange
    session: Session
    zone: ZoneInfo
    texts: tuple[NoticeText, ...]

    @property
    def people(self) -> int:
        return sum(text.people for text in self.texts)


def audience_of(session: Session) -> list[ColumnElement[bool]]:
    """The scheduler's recipients of a notice about `session`."""
    return [*recipients(Audience()), subscribed_to((ALL_SESSIONS, *session.topics))]


async def people_by_language(connection: AsyncConnection, session: Session) -> dict[str, int]:
    """How many will be told, per language they read (every language, zero included)."""
    readers = select(contact_language.label("language")).where(*audience_of(session)).subquery()
    rows = await connection.execute(
        select(readers.c.language, func.count()).group_by(readers.c.language)
    )
    counts = dict.fromkeys(LANGUAGES, 0)
    counts.update({language: int(count) for language, count in rows})
    return counts


async def preview_notice(
    connection: AsyncConnection,
    session: Session,
    change: SessionChange,
    i18n: I18n,
    settings: Settings,
) -> NoticePreview:
    counts = await people_by_language(connection, session)
    zone = settings.zone
    texts = tuple(
        NoticeText(
            language,
            counts[language],
            notice(
                change,
                session,
                zone,
                i18n[language],
                calendar_url(settings.public_base_url, session.id, language),
            ),
        )
        for language in LANGUAGES
    )
    return NoticePreview(change, session, zone, texts)
