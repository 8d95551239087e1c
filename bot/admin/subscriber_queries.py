"""Finding a person and reading their file, for the subscribers pages.

Organizers search by a name or by the last digits of a number a parent reads out; the
list is capped (a search that matches thousands is refined, not scrolled). The terminal
`chat` and the simulator (channel "console") are not people and never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, desc, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import ChannelName
from bot.store.subscriptions import decode_leads
from bot.store.tables import contacts, inbound_log, outbox, subscriptions

RESULT_LIMIT = 50
TIMELINE_LIMIT = 100
MIN_DIGITS = 2
PHONE_PUNCTUATION = frozenset("+-() .")
REAL = contacts.c.channel != ChannelName.CONSOLE.value


@dataclass(frozen=True)
class Found:
    id: int
    channel: str
    address: str
    display_name: str | None
    locale: str | None
    opted_out: bool
    last_seen_at: datetime
    topics: tuple[str, ...]


def digits_of(query: str) -> str | None:
    """The digits of a query that is a (partial) number, else None: "45 67" → "4567"."""
    digits = "".join(char for char in query if char.isdigit())
    if len(digits) < MIN_DIGITS or any(
        not char.isdigit() and char not in PHONE_PUNCTUATION for char in query
    ):
        return None
    return digits


def _matching(query: str) -> ColumnElement[bool]:
    """A name containing the query (any case), or an address ending with its digits."""
    clauses = [contacts.c.display_name.icontains(query, autoescape=True)]
    digits = digits_of(query)
    if digits is not None:
        clauses.append(contacts.c.address.endswith(digits, autoescape=True))
    return or_(*clauses)


async def search(
    connection: AsyncConnection, query: str, limit: int = RESULT_LIMIT
) -> tuple[list[Found], bool]:
    """Up to `limit` people, most recently seen first, and whether there were more.

    An empty query lists the most recent contacts. NUL characters are dropped: no name or
    number holds one, and PostgreSQL refuses them in a query's text.
    """
    query = query.replace("\x00", "").strip()
    where = [REAL, _matching(query)] if query else [REAL]
    rows = (
        await connection.execute(
            select(contacts)
            .where(*where)
            .order_by(desc(contacts.c.last_seen_at), desc(contacts.c.id))
            .limit(limit + 1)
        )
    ).all()
    topics = await _topics(connection, [row.id for row in rows[:limit]])
    found = [
        Found(
            id=row.id,
            channel=row.channel,
            address=row.address,
            display_name=row.display_name,
            locale=row.locale,
            opted_out=row.opted_out,
            last_seen_at=row.last_seen_at,
            topics=tuple(topics.get(row.id, ())),
        )
        for row in rows[:limit]
    ]
    return found, len(rows) > limit


async def _topics(connection: AsyncConnection, contact_ids: list[int]) -> dict[int, list[str]]:
    if not contact_ids:
        return {}
    rows = await connection.execute(
        select(subscriptions.c.contact_id, subscriptions.c.topic_id)
        .where(subscriptions.c.contact_id.in_(contact_ids))
        .order_by(subscriptions.c.id)
    )
    found: dict[int, list[str]] = {}
    for contact_id, topic_id in rows:
        found.setdefault(contact_id, []).append(topic_id)
    return found


@dataclass(frozen=True)
class Person:
    id: int
    channel: str
    address: str
    display_name: str | None
    locale: str | None
    opted_out: bool
    timezone: str | None
    leads: tuple[int, ...]
    created_at: datetime
    last_seen_at: datetime
    delivery_problem: str | None
    topics: tuple[str, ...]


async def person(connection: AsyncConnection, contact_id: int) -> Person | None:
    row = (
        await connection.execute(select(contacts).where(contacts.c.id == contact_id, REAL))
    ).one_or_none()
    if row is None:
        return None
    topics = await _topics(connection, [row.id])
    return Person(
        id=row.id,
        channel=row.channel,
        address=row.address,
        display_name=row.display_name,
        locale=row.locale,
        opted_out=row.opted_out,
        timezone=row.timezone,
        leads=decode_leads(row.reminder_minutes),
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        delivery_problem=row.delivery_problem,
        topics=tuple(topics.get(row.id, ())),
    )


@dataclass(frozen=True)
class Entry:
    """One message of the conversation: what they wrote (`incoming`) or what we sent."""

    at: datetime
    incoming: bool
    text: str
    # For messages out: why it was sent and what became of it.
    kind: str | None = None
    status: str | None = None


async def timeline(
    connection: AsyncConnection, who: Person, limit: int = TIMELINE_LIMIT
) -> list[Entry]:
    """The newest `limit` messages both ways, newest first (a reply after its question)."""
    inbound = await connection.execute(
        select(inbound_log.c.created_at, inbound_log.c.text)
        .where(inbound_log.c.contact_id == who.id)
        .order_by(desc(inbound_log.c.id))
        .limit(limit)
    )
    entries = [Entry(at, True, text) for at, text in inbound]
    outbound = await connection.execute(
        select(outbox.c.created_at, outbox.c.body, outbox.c.kind, outbox.c.status)
        .where(
            or_(
                outbox.c.contact_id == who.id,
                (outbox.c.channel == who.channel) & (outbox.c.address == who.address),
            )
        )
        .order_by(desc(outbox.c.id))
        .limit(limit)
    )
    entries += [Entry(at, False, body, kind, status) for at, body, kind, status in outbound]
    entries.sort(key=lambda entry: (entry.at, not entry.incoming), reverse=True)
    return entries[:limit]
