"""People and their messages written straight into the database, for the console's pages.

The dashboard and subscribers pages only read; the rows they read are made here as the
bot makes them (`contacts.touch`, `subscriptions.subscribe`, `consent.record`), with the
few columns a conversation would have set written directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update

from bot.messages import Address, ChannelName, OutboundKind
from bot.outbox import PRIORITY_OF_KIND, Status
from bot.runtime import Runtime
from bot.store import consent, subscriptions
from bot.store import contacts as contact_store
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import contacts, inbound_log, outbox


async def add_person(
    runtime: Runtime,
    channel: ChannelName,
    address: str,
    *,
    name: str | None = None,
    locale: str | None = None,
    topics: Sequence[str] = ("*",),
    opted_out: bool = False,
    timezone: str | None = None,
    reminder_minutes: str | None = None,
    seen_at: datetime | None = None,
) -> int:
    """A contact as the bot would have it; returns its id."""
    now = seen_at or runtime.clock()
    where = Address(channel, address)
    async with runtime.engine.begin() as connection:
        contact = await contact_store.touch(connection, where, now, name)
        for topic in topics:
            await subscriptions.subscribe(connection, contact.id, topic, now)
        await connection.execute(
            update(contacts)
            .where(contacts.c.id == contact.id)
            .values(locale=locale, timezone=timezone, reminder_minutes=reminder_minutes)
        )
        if opted_out:
            await consent.record(
                connection, where, ConsentAction.OPT_OUT, ConsentSource.KEYWORD, now
            )
    return contact.id


async def add_inbound(
    runtime: Runtime, contact_id: int, channel: ChannelName, text: str, at: datetime
) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(
            inbound_log.insert().values(
                contact_id=contact_id, channel=channel.value, locale="en", text=text, created_at=at
            )
        )


async def add_outbound(
    runtime: Runtime,
    contact_id: int | None,
    address: Address,
    body: str,
    status: Status,
    at: datetime,
    kind: OutboundKind = OutboundKind.REPLY,
) -> None:
    """A message the bot sent (or tried to) at `at`."""
    sent = status in (Status.SENT, Status.DELIVERED)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            outbox.insert().values(
                channel=address.channel.value,
                address=address.id,
                contact_id=contact_id,
                kind=kind.value,
                priority=int(PRIORITY_OF_KIND[kind]),
                locale="en",
                body=body,
                buttons=[],
                status=status.value,
                send_after=at,
                attempts=0 if status is Status.QUEUED else 1,
                created_at=at,
                claimed_at=None if status is Status.QUEUED else at,
                sent_at=at if sent else None,
                delivered_at=at if status is Status.DELIVERED else None,
            )
        )
