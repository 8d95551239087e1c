"""The scheduler tick: turns time and catalog changes into outbox rows.

Every few seconds, in every worker process: notices for session changes, reminders
coming due, scheduled broadcasts whose time has come, and broadcasts that have finished.
It keeps no state of its own between ticks; the unique idempotency key of each outbox row
is what makes several processes ticking at once, or a tick repeated after a crash, add
every message exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import broadcasts
from bot.calendar_file import calendar_url
from bot.config import Settings
from bot.failure_streak import FailureStreak
from bot.fanout import Audience, Batch, Group, fan_out, recipients, subscribed_to
from bot.i18n import I18n
from bot.messages import OutboundKind
from bot.quiet_hours import next_allowed
from bot.reminder_times import due_at, send_time
from bot.store import catalog_repo
from bot.store.subscriptions import ALL_SESSIONS, MAX_LEAD_MINUTES, decode_leads
from bot.store.tables import contacts, session_events
from catalog.models import Catalog, Session, SessionChange, SessionStatus
from handlers.notices import notice, reminder

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
# Reminders are queued this far ahead with their exact send time, so a slow tick or a
# busy database never makes one late; the outbox loop sends each when due.
LOOKAHEAD = timedelta(minutes=2)
# A reminder missed by less than this (the workers were down) still goes out; older
# ones are skipped rather than arrive at an odd moment.
GRACE = timedelta(minutes=15)
# Quiet hours move a send time by at most 11 hours (21:00 → 08:00) either way.
QUIET_SHIFT = timedelta(hours=13)


@dataclass(frozen=True)
class TickReport:
    notices: int = 0
    reminders: int = 0
    broadcast_messages: int = 0
    broadcasts_finished: int = 0

    @property
    def queued(self) -> int:
        return self.notices + self.reminders + self.broadcast_messages


class Scheduler:
    def __init__(
        self,
        engine: AsyncEngine,
        i18n: I18n,
        settings: Settings,
        clock: Callable[[], datetime],
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._i18n = i18n
        self._settings = settings
        self._clock = clock
        self._on_queued = on_queued

    async def tick(self) -> TickReport:
        async with self._engine.begin() as connection:
            now = self._clock()
            # Read fresh, not from the 2-second cache: a notice must show the new time.
            catalog = await catalog_repo.load(connection)
            report = TickReport(
                notices=await self._notify(connection, catalog, now),
                reminders=await self._remind(connection, catalog, now),
                broadcast_messages=await broadcasts.start_due(connection, self._settings, now),
                broadcasts_finished=await broadcasts.finish_done(connection, now),
            )
        if report.queued:
            log.info(
                "queued %d notices, %d reminders, %d broadcast messages",
                report.notices,
                report.reminders,
                report.broadcast_messages,
            )
            self._on_queued()
        return report

    async def run(self, stop: asyncio.Event, seconds: float = TICK_SECONDS) -> None:
        streak = FailureStreak(
            log, "scheduler tick failed", "scheduler ticks again after %d failed ticks"
        )
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as error:
                streak.failed(error, seconds)
            else:
                streak.succeeded()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=seconds)

    def _calendar(self, session: Session, language: str) -> str | None:
        return calendar_url(self._settings.public_base_url, session.id, language)

    async def _notify(self, connection: AsyncConnection, catalog: Catalog, now: datetime) -> int:
        events = await connection.execute(
            select(session_events)
            .where(session_events.c.notified_at.is_(None))
            .order_by(session_events.c.id)
        )
        added = 0
        pending = events.all()
        # A recording link does not change the version: the newest of its events speaks.
        newest_recording = {
            e.session_id: e.id for e in pending if e.kind == SessionChange.RECORDING.value
        }
        for event in pending:
            session = catalog.session(event.session_id)
            kind = SessionChange(event.kind)
            # A later change of the same session has its own event; only the newest speaks.
            current = session is not None and (
                event.id == newest_recording[event.session_id]
                if kind is SessionChange.RECORDING
                else event.version == session.version
            )
            if session is not None and current:
                added += await self._notify_one(connection, session, kind, event.id, now)
            await connection.execute(
                update(session_events)
                .where(session_events.c.id == event.id)
                .values(notified_at=now)
            )
        return added

    async def _notify_one(
        self,
        connection: AsyncConnection,
        session: Session,
        kind: SessionChange,
        event_id: int,
        now: datetime,
    ) -> int:
        def batch_for(group: Group) -> Batch:
            tr = self._i18n[group.language]
            return Batch(
                kind=OutboundKind.NOTICE,
                item=session.id,
                key_prefix=f"n:{event_id}:",
                body=notice(kind, session, group.zone, tr, self._calendar(session, tr.language)),
                send_after=next_allowed(now, group.zone),
            )

        where = [*recipients(Audience()), subscribed_to((ALL_SESSIONS, *session.topics))]
        return await fan_out(connection, where, batch_for, self._settings.bot_timezone, now)

    async def _remind(self, connection: AsyncConnection, catalog: Catalog, now: datetime) -> int:
        # No lead is longer than MAX_LEAD_MINUTES: with no session that close, the scan of
        # subscribers' choices below is skipped.
        horizon = now + timedelta(minutes=MAX_LEAD_MINUTES) + LOOKAHEAD + QUIET_SHIFT
        soon = [
            s
            for s in catalog.sessions
            if s.status is SessionStatus.SCHEDULED and now < s.starts_at <= horizon
        ]
        if not soon:
            return 0
        stored = await connection.execute(
            select(contacts.c.reminder_minutes).where(*recipients(Audience())).distinct()
        )
        # lead → the stored choices that include it (None: the default choice)
        choices: dict[int, list[str | None]] = {}
        for value in stored.scalars():
            for lead in decode_leads(value):
                choices.setdefault(lead, []).append(value)
        if not choices:
            return 0
        longest = timedelta(minutes=max(choices))
        added = 0
        for session in soon:
            if session.starts_at - longest > now + LOOKAHEAD + QUIET_SHIFT:
                continue
            for lead, values in choices.items():
                added += await self._remind_one(connection, session, lead, values, now)
        return added

    async def _remind_one(
        self,
        connection: AsyncConnection,
        session: Session,
        lead: int,
        values: list[str | None],
        now: datetime,
    ) -> int:
        due = due_at(session.starts_at, session.zone, lead)
        if not now - GRACE - QUIET_SHIFT <= due <= now + LOOKAHEAD + QUIET_SHIFT:
            return 0

        def batch_for(group: Group) -> Batch | None:
            at = send_time(due, session.starts_at, group.zone)
            if not now - GRACE <= at <= now + LOOKAHEAD or at >= session.starts_at:
                return None
            tr = self._i18n[group.language]
            return Batch(
                kind=OutboundKind.REMINDER,
                item=session.id,
                key_prefix=f"r:{session.id}:{session.version}:{lead}:",
                body=reminder(
                    session, max(at, now), group.zone, tr, self._calendar(session, tr.language)
                ),
                send_after=at,
            )

        where = [
            *recipients(Audience()),
            subscribed_to((ALL_SESSIONS, *session.topics)),
            _chose(values),
        ]
        return await fan_out(connection, where, batch_for, self._settings.bot_timezone, now)


def _chose(values: list[str | None]) -> ColumnElement[bool]:
    stored = [v for v in values if v is not None]
    clauses = [contacts.c.reminder_minutes.in_(stored)] if stored else []
    if None in values:
        clauses.append(contacts.c.reminder_minutes.is_(None))
    return or_(*clauses)
