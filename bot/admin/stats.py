"""The dashboard's figures, each an aggregate query: no row per person ever reaches Python.

A deployment has tens of thousands of subscribers and an outbox of a row per message
sent, so every figure is a COUNT … GROUP BY the database answers. "Subscribers" means
exactly who a reminder or a default broadcast reaches (`fanout.recipients`): on Telegram
or SMS, not opted out, subscribed to something. The terminal `chat` and the simulator
(channel "console") are nobody's audience and are left out of every figure.

Days are the bot's days (BOT_TIMEZONE): their bounds are computed here, DST included,
and passed to the database as UTC instants, which both SQLite and PostgreSQL compare
the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.fanout import DELIVERABLE, Audience, recipients, subscribed_to
from bot.messages import ChannelName
from bot.outbox import Status
from bot.reminder_times import due_at, send_time
from bot.store.consent import ConsentAction
from bot.store.subscriptions import ALL_SESSIONS, decode_leads
from bot.store.tables import consent_events, contacts, inbound_log, outbox, subscriptions
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES, Catalog, Session

CHART_DAYS = 14
WEEK_DAYS = 7
REAL_CHANNELS = tuple(channel.value for channel in DELIVERABLE)
# Handed to a provider: what "messages out" counts (suppressed, cancelled and refused
# rows were never sent).
OUT = (Status.SENT.value, Status.DELIVERED.value, Status.FAILED.value)
# When a message left: its send, else its last claim (failures have no sent_at), else
# when it was queued.
sent_moment = func.coalesce(outbox.c.sent_at, outbox.c.claimed_at, outbox.c.created_at)
# The coalesce above cannot use an index; bounding the queue time as well lets the
# database range-scan `ix_outbox_created_at` instead of reading the whole outbox. Nothing
# waits this long in the queue (quiet hours defer by half a day at most).
LONGEST_QUEUE_WAIT = timedelta(days=2)


@dataclass(frozen=True)
class People:
    subscribers: int
    contacts: int
    opted_out: int
    # Every language and channel, zeros included; topics most followed first ("*": all).
    by_language: dict[str, int]
    by_channel: dict[str, int]
    by_topic: list[tuple[str, int]]


async def people(connection: AsyncConnection) -> People:
    audience = recipients(Audience())
    real = contacts.c.channel.in_(REAL_CHANNELS)
    total, opted_out = (
        await connection.execute(
            select(func.count(), func.count(case((contacts.c.opted_out.is_(True), 1)))).where(real)
        )
    ).one()
    by_language = dict.fromkeys(LANGUAGES, 0)
    rows = await connection.execute(
        select(contacts.c.locale, func.count()).where(*audience).group_by(contacts.c.locale)
    )
    for locale, count in rows:
        # As `fanout.contact_language` reads it: an unsettled language gets English.
        by_language[locale if locale in LANGUAGES else FALLBACK_LANGUAGE] += count
    by_channel = dict.fromkeys(REAL_CHANNELS, 0)
    rows = await connection.execute(
        select(contacts.c.channel, func.count()).where(*audience).group_by(contacts.c.channel)
    )
    by_channel.update({channel: count for channel, count in rows})
    rows = await connection.execute(
        select(subscriptions.c.topic_id, func.count())
        .select_from(subscriptions.join(contacts, subscriptions.c.contact_id == contacts.c.id))
        .where(*audience)
        .group_by(subscriptions.c.topic_id)
    )
    by_topic = sorted(((topic, count) for topic, count in rows), key=lambda tc: (-tc[1], tc[0]))
    return People(
        subscribers=sum(by_channel.values()),
        contacts=total,
        opted_out=opted_out,
        by_language=by_language,
        by_channel=by_channel,
        by_topic=by_topic,
    )


@dataclass(frozen=True)
class Day:
    day: date
    messages_in: int
    messages_out: int


@dataclass(frozen=True)
class Traffic:
    """Messages per day of the bot's calendar, oldest first, today last."""

    days: tuple[Day, ...]

    @property
    def today(self) -> Day:
        return self.days[-1]

    @property
    def week_in(self) -> int:
        return sum(day.messages_in for day in self.days[-WEEK_DAYS:])

    @property
    def week_out(self) -> int:
        return sum(day.messages_out for day in self.days[-WEEK_DAYS:])


def day_starts(now: datetime, zone: ZoneInfo, days: int) -> list[datetime]:
    """The UTC instants of local midnight starting each of the last `days` days, and the
    end of today: `days + 1` bounds."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    return [
        datetime.combine(first + timedelta(days=i), time(), tzinfo=zone).astimezone(UTC)
        for i in range(days + 1)
    ]


async def traffic(connection: AsyncConnection, now: datetime, zone: ZoneInfo) -> Traffic:
    starts = day_starts(now, zone, CHART_DAYS)
    messages_in = await _per_day(
        connection, inbound_log.c.created_at, starts, inbound_log.c.channel.in_(REAL_CHANNELS)
    )
    messages_out = await _per_day(
        connection,
        sent_moment,
        starts,
        outbox.c.created_at >= starts[0] - LONGEST_QUEUE_WAIT,
        outbox.c.channel.in_(REAL_CHANNELS),
        outbox.c.status.in_(OUT),
    )
    return Traffic(
        tuple(
            Day(start.astimezone(zone).date(), n_in, n_out)
            for start, n_in, n_out in zip(starts[:-1], messages_in, messages_out, strict=True)
        )
    )


async def _per_day(
    connection: AsyncConnection,
    moment: ColumnElement[datetime],
    starts: Sequence[datetime],
    *where: ColumnElement[bool],
) -> list[int]:
    """Rows per day between the bounds, in one query: a CASE picks each row's day.

    The day is numbered in a subquery and grouped outside it: PostgreSQL would not
    accept a GROUP BY repeating an expression with parameters in it.
    """
    days = len(starts) - 1
    day = case(*((moment >= starts[i], i) for i in reversed(range(days))), else_=-1)
    numbered = (
        select(day.label("day")).where(moment >= starts[0], moment < starts[-1], *where).subquery()
    )
    counts = [0] * days
    rows = await connection.execute(select(numbered.c.day, func.count()).group_by(numbered.c.day))
    for index, count in rows:
        if 0 <= index < days:
            counts[index] = count
    return counts


@dataclass(frozen=True)
class ChannelDelivery:
    """One channel's settled messages of the week.

    SMS counts the carrier's receipts: `delivered` against `failed`, with `awaiting`
    sent and not yet confirmed either way. Telegram sends no receipts; a message it
    accepted counts as delivered.
    """

    channel: str
    delivered: int
    failed: int
    awaiting: int

    @property
    def rate(self) -> float | None:
        settled = self.delivered + self.failed
        return self.delivered / settled if settled else None


@dataclass(frozen=True)
class Delivery:
    channels: tuple[ChannelDelivery, ...]

    @property
    def delivered(self) -> int:
        return sum(c.delivered for c in self.channels)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.channels)

    @property
    def rate(self) -> float | None:
        settled = self.delivered + self.failed
        return self.delivered / settled if settled else None


async def delivery(connection: AsyncConnection, since: datetime) -> Delivery:
    rows = await connection.execute(
        select(outbox.c.channel, outbox.c.status, func.count())
        .where(
            outbox.c.channel.in_(REAL_CHANNELS),
            outbox.c.status.in_(OUT),
            outbox.c.created_at >= since - LONGEST_QUEUE_WAIT,
            sent_moment >= since,
        )
        .group_by(outbox.c.channel, outbox.c.status)
    )
    counts = Counter({(channel, status): n for channel, status, n in rows})
    sent, delivered, failed = Status.SENT.value, Status.DELIVERED.value, Status.FAILED.value
    sms, telegram = ChannelName.SMS.value, ChannelName.TELEGRAM.value
    return Delivery(
        (
            ChannelDelivery(
                telegram,
                counts[telegram, sent] + counts[telegram, delivered],
                counts[telegram, failed],
                0,
            ),
            ChannelDelivery(sms, counts[sms, delivered], counts[sms, failed], counts[sms, sent]),
        )
    )


async def opt_outs(connection: AsyncConnection, since: datetime) -> int:
    """Addresses that opted out since `since`, each once.

    Erasures count: deleting a person's data removes their earlier opt-out and leaves
    one of source "erasure", so the figure does not drop when someone asks to be forgotten.
    """
    stopped = (
        select(consent_events.c.channel, consent_events.c.address)
        .where(
            consent_events.c.action == ConsentAction.OPT_OUT.value,
            consent_events.c.created_at >= since,
            consent_events.c.channel.in_(REAL_CHANNELS),
        )
        .distinct()
        .subquery()
    )
    return int(await connection.scalar(select(func.count()).select_from(stopped)) or 0)


@dataclass(frozen=True)
class Slot:
    """One reminder send: `people` get the `lead_minutes` reminder at `at`."""

    lead_minutes: int
    at: datetime
    people: int


@dataclass(frozen=True)
class NextSession:
    session: Session
    # Subscribers who follow it (every session, or one of its topics).
    audience: int
    slots: tuple[Slot, ...]
    # lead → people whose reminder would only fit after the start: the scheduler skips it.
    skipped: dict[int, int]


def next_scheduled(catalog: Catalog, now: datetime) -> Session | None:
    return next((s for s in catalog.upcoming(now) if s.starts_at > now), None)


async def next_session(
    connection: AsyncConnection, catalog: Catalog, now: datetime, default_zone: str
) -> NextSession | None:
    """The next session and when its reminders go out, as the scheduler will send them.

    Subscribers are counted per (lead-time choice, time zone), a handful of groups; each
    group's send times come from the scheduler's own `due_at` and `send_time`.
    """
    session = next_scheduled(catalog, now)
    if session is None:
        return None
    rows = await connection.execute(
        select(contacts.c.reminder_minutes, contacts.c.timezone, func.count())
        .where(*recipients(Audience()), subscribed_to((ALL_SESSIONS, *session.topics)))
        .group_by(contacts.c.reminder_minutes, contacts.c.timezone)
    )
    audience = 0
    slots: Counter[tuple[int, datetime]] = Counter()
    skipped: Counter[int] = Counter()
    for stored, zone_name, count in rows:
        audience += count
        zone = _zone(zone_name or default_zone, default_zone)
        for lead in decode_leads(stored):
            at = send_time(due_at(session.starts_at, session.zone, lead), session.starts_at, zone)
            if at >= session.starts_at:
                skipped[lead] += count
            else:
                slots[lead, at] += count
    ordered = sorted(slots.items(), key=lambda item: (-item[0][0], item[0][1]))
    return NextSession(
        session=session,
        audience=audience,
        slots=tuple(Slot(lead, at, count) for (lead, at), count in ordered),
        skipped=dict(skipped),
    )


def _zone(name: str, default_zone: str) -> ZoneInfo:
    """As `fanout.groups` reads a stored zone: an unknown one means the bot's own."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo(default_zone)
