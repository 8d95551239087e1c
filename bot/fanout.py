"""One outbox row per recipient, written by the database itself (INSERT … SELECT).

Reminders, notices and broadcasts reach thousands of people. Python never holds the
recipient list: the process asks for the few (language, time zone) groups, renders one
text per group, and lets one statement per group copy recipients into the outbox. Memory
stays flat from ten to a million subscribers, and the unique idempotency key (recipient,
item, kind, version) makes a second run, from this or any other process, add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import ChannelName, OutboundKind
from bot.outbox import PRIORITY_OF_KIND, Status
from bot.store.subscriptions import ALL_SESSIONS
from bot.store.tables import contacts, outbox, subscriptions
from bot.store.upsert import insert_for
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES

# Where bulk can go; the terminal `chat` channel has nobody to deliver to later.
DELIVERABLE = (ChannelName.TELEGRAM, ChannelName.SMS)

# A contact whose language was never settled reads English, like the bot's replies.
contact_language = case(
    (
        contacts.c.locale.in_([lang for lang in LANGUAGES if lang != FALLBACK_LANGUAGE]),
        contacts.c.locale,
    ),
    else_=literal(FALLBACK_LANGUAGE),
)


@dataclass(frozen=True)
class Audience:
    """Who a bulk message is for; an empty tuple means "any"."""

    languages: tuple[str, ...] = ()
    channels: tuple[ChannelName, ...] = ()
    # Subscribers to any of these topics, and to every session ("*"), who asked for all.
    topics: tuple[str, ...] = ()
    # False reaches everyone who ever wrote to the bot and did not opt out.
    subscribed: bool = True


def recipients(audience: Audience) -> list[ColumnElement[bool]]:
    """WHERE clauses over `contacts` for the audience; consent is always one of them."""
    channels = audience.channels or DELIVERABLE
    where: list[ColumnElement[bool]] = [
        contacts.c.opted_out.is_(False),
        contacts.c.channel.in_([c.value for c in channels]),
    ]
    if audience.languages:
        where.append(contact_language.in_(audience.languages))
    if audience.topics:
        where.append(subscribed_to((ALL_SESSIONS, *audience.topics)))
    elif audience.subscribed:
        where.append(
            exists().where(subscriptions.c.contact_id == contacts.c.id).correlate(contacts)
        )
    return where


def subscribed_to(topic_ids: Sequence[str]) -> ColumnElement[bool]:
    return (
        exists()
        .where(subscriptions.c.contact_id == contacts.c.id, subscriptions.c.topic_id.in_(topic_ids))
        .correlate(contacts)
    )


def zone_of(default_zone: str) -> ColumnElement[str]:
    return func.coalesce(contacts.c.timezone, literal(default_zone))


@dataclass(frozen=True)
class Group:
    language: str
    # As stored, for matching; `zone` is what times are shown in (the default for a
    # name this Python does not know).
    zone_name: str
    zone: ZoneInfo


async def groups(
    connection: AsyncConnection, where: Sequence[ColumnElement[bool]], default_zone: str
) -> list[Group]:
    """The distinct (language, time zone) pairs among the recipients: a handful at most."""
    rows = await connection.execute(
        select(contact_language, zone_of(default_zone)).where(*where).distinct()
    )
    found = []
    for language, zone_name in rows:
        try:
            shown_in = ZoneInfo(zone_name)
        except (ValueError, KeyError, OSError):
            # Not found, malformed, or a folder of zones ("America"): IsADirectoryError.
            shown_in = ZoneInfo(default_zone)
        found.append(Group(language, zone_name, shown_in))
    return found


@dataclass(frozen=True)
class Batch:
    """What every recipient of one group gets."""

    kind: OutboundKind
    item: str
    # The idempotency key is this prefix followed by the contact id.
    key_prefix: str
    body: str
    send_after: datetime


async def enqueue(
    connection: AsyncConnection,
    where: Sequence[ColumnElement[bool]],
    group: Group,
    batch: Batch,
    default_zone: str,
    now: datetime,
) -> int:
    """Queue `batch` for every recipient in `group`; returns how many rows were new."""
    source = select(
        contacts.c.channel,
        contacts.c.address,
        contacts.c.id,
        literal(batch.kind.value),
        literal(int(PRIORITY_OF_KIND[batch.kind])),
        literal(group.language),
        bindparam("body", batch.body, type_=outbox.c.body.type),
        bindparam("buttons", [], type_=outbox.c.buttons.type),
        literal(batch.key_prefix) + cast(contacts.c.id, String),
        literal(batch.item),
        literal(Status.QUEUED.value),
        bindparam("send_after", batch.send_after, type_=outbox.c.send_after.type),
        literal(0),
        bindparam("created_at", now, type_=outbox.c.created_at.type),
    ).where(
        and_(*where), contact_language == group.language, zone_of(default_zone) == group.zone_name
    )
    statement = (
        insert_for(connection, outbox)
        .from_select(
            [
                outbox.c.channel,
                outbox.c.address,
                outbox.c.contact_id,
                outbox.c.kind,
                outbox.c.priority,
                outbox.c.locale,
                outbox.c.body,
                outbox.c.buttons,
                outbox.c.idempotency_key,
                outbox.c.item,
                outbox.c.status,
                outbox.c.send_after,
                outbox.c.attempts,
                outbox.c.created_at,
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.idempotency_key])
    )
    result = await connection.execute(statement)
    return int(result.rowcount)


async def fan_out(
    connection: AsyncConnection,
    where: Sequence[ColumnElement[bool]],
    batch_for: Callable[[Group], Batch | None],
    default_zone: str,
    now: datetime,
) -> int:
    """Queue one message per recipient, rendered per group; `batch_for` may skip a group."""
    added = 0
    for group in await groups(connection, where, default_zone):
        batch = batch_for(group)
        if batch is not None:
            added += await enqueue(connection, where, group, batch, default_zone, now)
    return added
