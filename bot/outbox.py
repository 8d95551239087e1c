"""The one outbox every outgoing message passes through (design §1).

A row is written in the same transaction as the state change that caused it, then
claimed by a dispatcher in a single UPDATE … RETURNING, so a message is either in the
table waiting or claimed by exactly one sender, across processes and restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import (
    Address,
    Button,
    ChannelName,
    OutboundKind,
    OutboundMessage,
    Priority,
    Reply,
)
from bot.store.tables import contacts, outbox


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # not sent on purpose: the address opted out
    CANCELLED = "cancelled"  # not sent on purpose: its broadcast was cancelled, or stale
    REFUSED = "refused"  # not sent on purpose: loop protection


# Confirmations of STOP/START and answers to HELP reach even an opted-out address:
# carriers expect them and they are what the person just asked for.
CONSENT_EXEMPT = frozenset({OutboundKind.CONSENT})

PRIORITY_OF_KIND = {
    OutboundKind.REPLY: Priority.REPLY,
    OutboundKind.CONSENT: Priority.REPLY,
    OutboundKind.NOTICE: Priority.NOTICE,
    OutboundKind.REMINDER: Priority.NOTICE,
    OutboundKind.BROADCAST: Priority.BULK,
}


async def add_replies(
    connection: AsyncConnection,
    address: Address,
    contact_id: int | None,
    locale: str,
    replies: Sequence[Reply],
    now: datetime,
    *,
    worker: str,
    opted_out: bool,
    claim: bool = True,
) -> list[OutboundMessage]:
    """Store a turn's replies already claimed by `worker`, and return those to send now.

    A parent is waiting for these, so they skip the queue: the turn's own transaction is
    the send-time consent check (rule 1), and the rows are claimed before any provider
    is called, exactly as the dispatcher would. Replies an opted-out address must not
    get are stored as suppressed, for the record. Without `claim` (this process does not
    hold the channel's sender lease) they are queued, first in line, for the holder.
    """
    if not replies:
        return []
    rows = [
        {
            "channel": address.channel.value,
            "address": address.id,
            "contact_id": contact_id,
            "kind": reply.kind.value,
            "priority": PRIORITY_OF_KIND[reply.kind],
            "locale": locale,
            "body": reply.text,
            "buttons": [[b.label, b.payload] for b in reply.buttons],
            "status": (
                Status.SUPPRESSED
                if opted_out and reply.kind not in CONSENT_EXEMPT
                else Status.SENDING
                if claim
                else Status.QUEUED
            ).value,
            "send_after": now,
            "attempts": 1 if claim else 0,
            "claimed_by": worker if claim else None,
            "claimed_at": now if claim else None,
            "created_at": now,
        }
        for reply in replies
    ]
    result = await connection.execute(_ADD, rows)
    return [
        OutboundMessage(
            id=message_id,
            address=address,
            text=reply.text,
            locale=locale,
            kind=reply.kind,
            buttons=reply.buttons,
            attempts=1,
        )
        for message_id, reply, row in zip(result.scalars(), replies, rows, strict=True)
        if row["status"] == Status.SENDING.value
    ]


_ADD = outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True)


def _message(row: Any) -> OutboundMessage:
    return OutboundMessage(
        id=row.id,
        address=Address(ChannelName(row.channel), row.address),
        text=row.body,
        locale=row.locale,
        kind=OutboundKind(row.kind),
        buttons=tuple(Button(label, payload) for label, payload in row.buttons),
        attempts=row.attempts,
    )


async def claim(
    connection: AsyncConnection,
    channel: ChannelName,
    worker: str,
    now: datetime,
    limit: int = 50,
) -> list[OutboundMessage]:
    """Atomically take up to `limit` due messages of `channel`, replies first.

    One UPDATE whose WHERE picks the rows: on SQLite the statement holds the write lock
    from start to end, on PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent workers
    take disjoint batches instead of queueing behind each other.
    """
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.channel == channel.value,
            outbox.c.status == Status.QUEUED.value,
            outbox.c.send_after <= now,
        )
        .order_by(outbox.c.priority, outbox.c.id)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(outbox)
        .where(outbox.c.id.in_(due.scalar_subquery()))
        .values(
            status=Status.SENDING.value,
            claimed_by=worker,
            claimed_at=now,
            attempts=outbox.c.attempts + 1,
        )
        .returning(*outbox.c)
    )
    rows = (await connection.execute(statement)).all()
    return [_message(row) for row in sorted(rows, key=lambda row: (row.priority, row.id))]


async def opted_out_among(
    connection: AsyncConnection, messages: Sequence[OutboundMessage]
) -> set[Address]:
    """Which of these recipients have opted out right now (checked at send time)."""
    addresses = {m.address for m in messages}
    if not addresses:
        return set()
    rows = await connection.execute(
        select(contacts.c.channel, contacts.c.address).where(
            contacts.c.opted_out.is_(True),
            contacts.c.channel.in_({a.channel.value for a in addresses}),
            contacts.c.address.in_({a.id for a in addresses}),
        )
    )
    return {Address(ChannelName(r.channel), r.address) for r in rows} & addresses


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed message; `retry_at` set means "queue it again then"."""

    message_id: int
    status: Status
    provider_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    # False when the provider was never called: the claim's attempt is given back, so
    # only real attempts count towards the cap.
    attempted: bool = True


# Still claimed, and by us: a sender whose lease lapsed mid-batch must not overwrite what
# its successor did with the row since.
_CLAIMED = and_(
    outbox.c.id == bindparam("mid"),
    outbox.c.status == Status.SENDING.value,
    outbox.c.claimed_by == bindparam("worker"),
)
_FINISH = (
    update(outbox)
    .where(_CLAIMED)
    .values(
        status=bindparam("new_status"),
        provider_id=bindparam("pid"),
        last_error=bindparam("err"),
        sent_at=bindparam("at", type_=outbox.c.sent_at.type),
    )
)
_RETRY = (
    update(outbox)
    .where(_CLAIMED)
    .values(
        status=Status.QUEUED.value,
        send_after=bindparam("after", type_=outbox.c.send_after.type),
        last_error=bindparam("err"),
        attempts=outbox.c.attempts - bindparam("refund"),
    )
)


async def record(
    connection: AsyncConnection, outcomes: Sequence[Outcome], now: datetime, worker: str
) -> None:
    """Write a batch of outcomes in one statement per kind (sent/failed vs. retried).

    Only rows still marked as sending by `worker` are touched, so a late outcome can never
    move a message backwards (for example over a delivery receipt that already arrived).
    """
    finished = [
        {
            "worker": worker,
            "mid": o.message_id,
            "new_status": o.status.value,
            "pid": o.provider_id,
            "err": o.error,
            "at": now if o.status is Status.SENT else None,
        }
        for o in outcomes
        if o.retry_at is None
    ]
    retried = [
        {
            "worker": worker,
            "mid": o.message_id,
            "after": o.retry_at,
            "err": o.error,
            "refund": 0 if o.attempted else 1,
        }
        for o in outcomes
        if o.retry_at is not None
    ]
    if finished:
        await connection.execute(_FINISH, finished)
    if retried:
        await connection.execute(_RETRY, retried)


async def suppress_pending(connection: AsyncConnection, address: Address) -> int:
    """Cancel what is still queued for an address that just stopped (all but consent)."""
    result = await connection.execute(
        update(outbox)
        .where(
            outbox.c.channel == address.channel.value,
            outbox.c.address == address.id,
            outbox.c.status == Status.QUEUED.value,
            outbox.c.kind.not_in([kind.value for kind in CONSENT_EXEMPT]),
        )
        .values(status=Status.SUPPRESSED.value, last_error="recipient stopped")
    )
    return result.rowcount


async def cancel_queued(
    connection: AsyncConnection,
    kinds: Sequence[OutboundKind],
    why: str,
    *where: ColumnElement[bool],
) -> int:
    """Call off queued messages of `kinds` matching `where` (what is in flight finishes):
    a cancelled broadcast, reminders for an old time, an unsubscribed person's reminders."""
    result = await connection.execute(
        update(outbox)
        .where(
            outbox.c.kind.in_([kind.value for kind in kinds]),
            outbox.c.status == Status.QUEUED.value,
            *where,
        )
        .values(status=Status.CANCELLED.value, last_error=why)
    )
    return int(result.rowcount)


# Rule 7: a delivery report only moves a message forward. Terminal states stay put, and
# a report may overtake our own record of the send (the row still says sending) or
# settle a send we thought had timed out (the row is queued for a retry, which it must
# then not get).
_EARLIER = {
    Status.SENT: (Status.QUEUED, Status.SENDING),
    Status.DELIVERED: (Status.QUEUED, Status.SENDING, Status.SENT),
    Status.FAILED: (Status.QUEUED, Status.SENDING, Status.SENT),
}


async def apply_report(
    connection: AsyncConnection,
    message_id: int,
    status: Status,
    now: datetime,
    *,
    channel: ChannelName,
    provider_id: str | None = None,
    error: str | None = None,
) -> bool:
    """Move a message forward to `status`; False when it is unknown or already further on."""
    if status not in _EARLIER:
        raise ValueError(f"a delivery report cannot set {status}")
    values: dict[str, Any] = {"status": status.value}
    if provider_id:
        values["provider_id"] = provider_id
    if error:
        values["last_error"] = error
    if status is Status.DELIVERED:
        values["delivered_at"] = now
    if status in (Status.SENT, Status.DELIVERED):
        values["sent_at"] = func.coalesce(outbox.c.sent_at, now)
    result = await connection.execute(
        update(outbox)
        .where(
            outbox.c.id == message_id,
            outbox.c.channel == channel.value,
            outbox.c.status.in_([s.value for s in _EARLIER[status]]),
        )
        .values(values)
    )
    return bool(result.rowcount)


async def address_of(
    connection: AsyncConnection, message_id: int, channel: ChannelName
) -> Address | None:
    """The recipient of one of our messages on `channel`, if there is such a message."""
    found = (
        await connection.execute(
            select(outbox.c.address).where(
                outbox.c.id == message_id, outbox.c.channel == channel.value
            )
        )
    ).scalar_one_or_none()
    return None if found is None else Address(channel, found)


async def requeue_stale(connection: AsyncConnection, claimed_before: datetime) -> int:
    """Put back messages claimed long ago and never settled: their sender died mid-send.

    A process killed between claiming and recording leaves rows marked as sending; without
    this they would never leave. The provider may have accepted some of them, so this can
    send those twice: at least once beats never, and only a crash's in-flight are at risk.
    """
    result = await connection.execute(
        update(outbox)
        .where(outbox.c.status == Status.SENDING.value, outbox.c.claimed_at < claimed_before)
        .values(status=Status.QUEUED.value, last_error="requeued: its sender stopped mid-send")
    )
    return result.rowcount


async def requeue_claims_of_others(
    connection: AsyncConnection, channel: ChannelName, worker: str
) -> int:
    """On taking over a channel's sender lease: put back what the last holder left claimed.

    Only the lease holder claims on a channel, so a claim by anyone else is the unsettled
    batch of a holder that died or lost its lease. It may have reached the provider, so
    this can send those messages twice; the count is logged, and it is at most one batch.
    """
    result = await connection.execute(
        update(outbox)
        .where(
            outbox.c.channel == channel.value,
            outbox.c.status == Status.SENDING.value,
            outbox.c.claimed_by != worker,
        )
        .values(status=Status.QUEUED.value, last_error="requeued: its sender's lease ended")
    )
    return result.rowcount
