"""Deleting a person's data on request, leaving only the record that keeps them unmessaged.

Everything the bot holds about one (channel, address) goes: the contact row with its
name, language, time zone, reminder choices and dialogue state; their subscriptions;
what they wrote (inbound_log); every message to them in the outbox, queued ones
included, so nothing is sent after the deletion; and their consent history.

One thing is written back: an opt-out with source "erasure". Through `consent.record`
it creates a bare contact row (channel, address, opted_out, the time of the deletion;
no name, language, state or subscriptions). That row is the design, not a leftover:
the send path, the audience of every broadcast and reminder, and `contacts.touch` when
the person writes again all read `contacts.opted_out`, none of them reads the ledger.
With the row gone, a broadcast would skip them only by luck and their next message
would recreate an opted-in contact; with it, they stay opted out until they send START
(or Telegram's /start) themselves, exactly like someone who sent STOP.

Not covered, by design: `inbound_seen` holds provider message ids only (no address or
text); a message already handed to a provider (status sending) at the moment of the
deletion may still arrive. The console and a "delete my data" message both call
`erase`, so it takes an address and knows nothing of who asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Delete, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Address
from bot.outbox import Status
from bot.redact import describe
from bot.store import consent
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import consent_events, contacts, inbound_log, outbox, subscriptions

log = logging.getLogger(__name__)

# Not yet handed to a provider: deleting these is what stops them being sent.
WAITING = (Status.QUEUED.value,)


@dataclass(frozen=True)
class ErasureReport:
    """How many rows of each kind were deleted, for the organizer and the audit log."""

    address: Address
    contact: bool
    subscriptions: int
    messages_in: int
    messages_out: int
    # Of `messages_out`: still waiting to be sent, and now never will be.
    unsent: int
    consent_events: int


async def erase(connection: AsyncConnection, address: Address, now: datetime) -> ErasureReport:
    """Delete everything about `address`, then record it as opted out (source "erasure").

    Runs in the caller's transaction: either all of it happens or none of it.
    """
    contact_id = await connection.scalar(
        select(contacts.c.id).where(
            contacts.c.channel == address.channel.value, contacts.c.address == address.id
        )
    )
    theirs = _messages_to(address, contact_id)
    unsent = await connection.scalar(
        select(func.count()).select_from(outbox).where(theirs, outbox.c.status.in_(WAITING))
    )
    messages_out = await _delete(connection, delete(outbox).where(theirs))
    subscription_rows = messages_in = 0
    if contact_id is not None:
        # The foreign keys cascade too; deleting explicitly makes the counts exact.
        subscription_rows = await _delete(
            connection, delete(subscriptions).where(subscriptions.c.contact_id == contact_id)
        )
        messages_in = await _delete(
            connection, delete(inbound_log).where(inbound_log.c.contact_id == contact_id)
        )
        await connection.execute(delete(contacts).where(contacts.c.id == contact_id))
    ledger = await _delete(
        connection,
        delete(consent_events).where(
            consent_events.c.channel == address.channel.value,
            consent_events.c.address == address.id,
        ),
    )
    await consent.record(connection, address, ConsentAction.OPT_OUT, ConsentSource.ERASURE, now)
    report = ErasureReport(
        address=address,
        contact=contact_id is not None,
        subscriptions=subscription_rows,
        messages_in=messages_in,
        messages_out=messages_out,
        unsent=int(unsent or 0),
        consent_events=ledger,
    )
    log.info(
        "erased %s: %d in, %d out (%d unsent), %d subscriptions, %d consent events",
        describe(address),
        report.messages_in,
        report.messages_out,
        report.unsent,
        report.subscriptions,
        report.consent_events,
    )
    return report


def _messages_to(address: Address, contact_id: int | None) -> ColumnElement[bool]:
    """Their outbox rows: by contact, and by address for rows written without one."""
    by_address = (outbox.c.channel == address.channel.value) & (outbox.c.address == address.id)
    if contact_id is None:
        return by_address
    return or_(outbox.c.contact_id == contact_id, by_address)


async def _delete(connection: AsyncConnection, statement: Delete) -> int:
    return int((await connection.execute(statement)).rowcount)
