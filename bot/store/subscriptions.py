"""Reminder subscriptions: to every session ("*") or to one topic of the catalog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.tables import subscriptions
from bot.store.upsert import insert_for

ALL_SESSIONS = "*"
DEFAULT_LEAD_MINUTES = (24 * 60, 60)


async def subscribe(
    connection: AsyncConnection,
    contact_id: int,
    topic_id: str,
    now: datetime,
    lead_minutes: tuple[int, ...] = DEFAULT_LEAD_MINUTES,
) -> bool:
    """Add a subscription; False when it already existed (nothing changes then)."""
    statement = (
        insert_for(connection, subscriptions)
        .values(
            contact_id=contact_id,
            topic_id=topic_id,
            lead_minutes=list(lead_minutes),
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[subscriptions.c.contact_id, subscriptions.c.topic_id]
        )
    )
    result = await connection.execute(statement)
    return bool(result.rowcount)


async def unsubscribe_all(connection: AsyncConnection, contact_id: int) -> int:
    result = await connection.execute(
        delete(subscriptions).where(subscriptions.c.contact_id == contact_id)
    )
    return int(result.rowcount)
