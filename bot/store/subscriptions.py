"""Reminder subscriptions (to every session, "*", or to one topic) and lead-time choices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import outbox as outbox_rows
from bot.messages import OutboundKind
from bot.store.tables import contacts, outbox, subscriptions
from bot.store.upsert import insert_for

ALL_SESSIONS = "*"
DEFAULT_LEAD_MINUTES = (24 * 60, 60)
# A week ahead is the longest reminder anyone is offered; the scheduler looks no further.
MAX_LEAD_MINUTES = 7 * 24 * 60
MAX_LEADS = 3


def encode_leads(minutes: Iterable[int]) -> str | None:
    """The stored form: longest first, no duplicates; the default is stored as NULL."""
    leads = tuple(sorted(set(minutes), reverse=True))
    if not leads or leads == DEFAULT_LEAD_MINUTES:
        return None
    return ",".join(str(m) for m in leads)


def decode_leads(stored: str | None) -> tuple[int, ...]:
    if not stored:
        return DEFAULT_LEAD_MINUTES
    return tuple(int(part) for part in stored.split(","))


async def subscribe(
    connection: AsyncConnection, contact_id: int, topic_id: str, now: datetime
) -> bool:
    """Add a subscription; False when it already existed (nothing changes then)."""
    statement = (
        insert_for(connection, subscriptions)
        .values(contact_id=contact_id, topic_id=topic_id, created_at=now)
        .on_conflict_do_nothing(
            index_elements=[subscriptions.c.contact_id, subscriptions.c.topic_id]
        )
    )
    result = await connection.execute(statement)
    return bool(result.rowcount)


async def topics_of(connection: AsyncConnection, contact_id: int) -> list[str]:
    """The contact's subscriptions, oldest first ("*" for every session)."""
    rows = await connection.execute(
        select(subscriptions.c.topic_id)
        .where(subscriptions.c.contact_id == contact_id)
        .order_by(subscriptions.c.id)
    )
    return list(rows.scalars())


async def unsubscribe_all(connection: AsyncConnection, contact_id: int) -> int:
    """Remove every subscription, and the reminders already queued for them."""
    result = await connection.execute(
        delete(subscriptions).where(subscriptions.c.contact_id == contact_id)
    )
    await outbox_rows.cancel_queued(
        connection, [OutboundKind.REMINDER], "unsubscribed", outbox.c.contact_id == contact_id
    )
    return int(result.rowcount)


async def unsubscribe(connection: AsyncConnection, contact_id: int, topic_id: str) -> bool:
    result = await connection.execute(
        delete(subscriptions).where(
            subscriptions.c.contact_id == contact_id, subscriptions.c.topic_id == topic_id
        )
    )
    return bool(result.rowcount)


async def lead_minutes_of(connection: AsyncConnection, contact_id: int) -> tuple[int, ...]:
    stored = await connection.scalar(
        select(contacts.c.reminder_minutes).where(contacts.c.id == contact_id)
    )
    return decode_leads(stored)


async def set_lead_minutes(
    connection: AsyncConnection, contact_id: int, minutes: Iterable[int]
) -> tuple[int, ...]:
    """Store the contact's choice of lead times; returns them as they will be used."""
    stored = encode_leads(minutes)
    await connection.execute(
        update(contacts).where(contacts.c.id == contact_id).values(reminder_minutes=stored)
    )
    return decode_leads(stored)
