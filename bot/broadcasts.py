"""Organizer announcements: draft, preview, send or schedule, follow, cancel.

A broadcast is a row; its messages are outbox rows tagged with its id, queued by one
INSERT … SELECT per (language, time zone) group (`bot.fanout`). Progress and results
are counts over those rows, so every process, the CLI and Telegram see the same figures,
and a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import outbox as outbox_rows
from bot.channels.sms_text import Encoding, segment_report, sms_safe
from bot.config import Settings
from bot.errors import BroadcastError
from bot.fanout import Audience, Batch, Group, contact_language, fan_out, recipients
from bot.messages import ChannelName, OutboundKind
from bot.outbox import Status
from bot.quiet_hours import next_allowed
from bot.store.tables import broadcasts, contacts, outbox
from catalog.models import FALLBACK_LANGUAGE, LANGUAGES

# Telegram's own cap on a message; SMS texts are not capped, the segment count shows.
MAX_TEXT_LENGTH = 4096


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Draft:
    texts: Mapping[str, str]
    audience: Audience = field(default_factory=Audience)
    # None sends as soon as it is confirmed.
    send_at: datetime | None = None
    created_by: str = "cli"


@dataclass(frozen=True)
class LanguagePreview:
    language: str
    text: str
    # True when this language has no text of its own and gets the English one.
    fallback: bool
    encoding: Encoding
    segments: int
    characters: int


@dataclass(frozen=True)
class Preview:
    broadcast_id: int
    status: BroadcastStatus
    counts: Mapping[tuple[str, ChannelName], int]
    languages: Sequence[LanguagePreview]
    sms_segments: int
    cost: float
    seconds: float
    first_send: datetime

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def recipients_of(self, language: str) -> int:
        return sum(n for (lang, _), n in self.counts.items() if lang == language)


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    status: BroadcastStatus
    recipients: int
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    # Stopped between the send and their turn: consent is checked again at send time.
    opted_out: int
    cancelled: int

    @property
    def settled(self) -> int:
        return self.sent + self.delivered + self.failed + self.opted_out + self.cancelled

    @property
    def fraction(self) -> float:
        return 1.0 if not self.recipients else min(1.0, self.settled / self.recipients)


def _clean_texts(texts: Mapping[str, str]) -> dict[str, str]:
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    unknown = sorted(set(cleaned) - set(LANGUAGES))
    if unknown:
        raise BroadcastError(f"unknown language(s) {', '.join(unknown)}: use en, es or ar")
    if FALLBACK_LANGUAGE not in cleaned:
        raise BroadcastError("an English text is required: it is the fallback for the others")
    too_long = [lang for lang, text in cleaned.items() if len(text) > MAX_TEXT_LENGTH]
    if too_long:
        raise BroadcastError(
            f"text too long in {', '.join(too_long)}: at most {MAX_TEXT_LENGTH} characters"
        )
    return cleaned


def _audience_json(audience: Audience) -> dict[str, Any]:
    return {
        "languages": list(audience.languages),
        "channels": [c.value for c in audience.channels],
        "topics": list(audience.topics),
        "subscribed": audience.subscribed,
    }


def _audience(data: Mapping[str, Any]) -> Audience:
    return Audience(
        languages=tuple(data.get("languages", ())),
        channels=tuple(ChannelName(c) for c in data.get("channels", ())),
        topics=tuple(data.get("topics", ())),
        subscribed=bool(data.get("subscribed", True)),
    )


async def create(connection: AsyncConnection, draft: Draft, now: datetime) -> int:
    """Store a draft; nothing is sent until `send` (the organizer's confirmation)."""
    bad = set(draft.audience.languages) - set(LANGUAGES)
    if bad:
        raise BroadcastError(f"unknown language(s) {', '.join(sorted(bad))}: use en, es or ar")
    result = await connection.execute(
        broadcasts.insert()
        .values(
            texts=_clean_texts(draft.texts),
            audience=_audience_json(draft.audience),
            status=BroadcastStatus.DRAFT.value,
            send_at=draft.send_at or now,
            created_by=draft.created_by[:128],
            created_at=now,
            recipients=0,
        )
        .returning(broadcasts.c.id)
    )
    return int(result.scalar_one())


async def _row(connection: AsyncConnection, broadcast_id: int, *, lock: bool = False) -> Any:
    query = select(broadcasts).where(broadcasts.c.id == broadcast_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await connection.execute(query)).one_or_none()
    if row is None:
        raise BroadcastError(f"there is no broadcast {broadcast_id}")
    return row


def language_previews(texts: Mapping[str, str], settings: Settings) -> list[LanguagePreview]:
    """Each language's text as SMS will carry it, with its encoding and segment count."""
    previews = []
    for language in LANGUAGES:
        own = texts.get(language, "")
        text = own or texts[FALLBACK_LANGUAGE]
        report = segment_report(sms_safe(text, language, settings.sms_accents))
        previews.append(
            LanguagePreview(
                language, text, not own, report.encoding, report.segments, report.characters
            )
        )
    return previews


async def preview(
    connection: AsyncConnection, broadcast_id: int, settings: Settings, now: datetime
) -> Preview:
    """Who will get it, what it costs and how long it takes, before anything is sent."""
    row = await _row(connection, broadcast_id)
    where = recipients(_audience(row.audience))
    counted = await connection.execute(
        select(contact_language, contacts.c.channel, func.count())
        .where(*where)
        .group_by(contact_language, contacts.c.channel)
    )
    counts = {(lang, ChannelName(channel)): int(n) for lang, channel, n in counted}
    languages = language_previews(row.texts, settings)
    sms_segments = sum(counts.get((p.language, ChannelName.SMS), 0) * p.segments for p in languages)
    telegram = sum(n for (_, channel), n in counts.items() if channel is ChannelName.TELEGRAM)
    seconds = max(
        telegram / settings.telegram_messages_per_second,
        sms_segments / settings.twilio_messages_per_second,
    )
    return Preview(
        broadcast_id=broadcast_id,
        status=BroadcastStatus(row.status),
        counts=counts,
        languages=languages,
        sms_segments=sms_segments,
        cost=sms_segments * settings.sms_price_per_segment,
        seconds=seconds,
        first_send=next_allowed(max(row.send_at, now), settings.zone),
    )


async def send(
    connection: AsyncConnection, broadcast_id: int, settings: Settings, now: datetime
) -> BroadcastStatus:
    """The organizer confirmed: queue it now, or keep it for its send time."""
    row = await _row(connection, broadcast_id, lock=True)
    if row.status != BroadcastStatus.DRAFT.value:
        raise BroadcastError(f"broadcast {broadcast_id} is already {row.status}")
    if row.send_at > now:
        await connection.execute(
            update(broadcasts)
            .where(broadcasts.c.id == broadcast_id)
            .values(status=BroadcastStatus.SCHEDULED.value)
        )
        return BroadcastStatus.SCHEDULED
    await _enqueue(connection, row, settings, now)
    return BroadcastStatus.SENDING


async def _enqueue(connection: AsyncConnection, row: Any, settings: Settings, now: datetime) -> int:
    texts: Mapping[str, str] = row.texts
    start = max(row.send_at, now)

    def batch_for(group: Group) -> Batch:
        return Batch(
            kind=OutboundKind.BROADCAST,
            item=str(row.id),
            key_prefix=f"b:{row.id}:",
            body=texts.get(group.language) or texts[FALLBACK_LANGUAGE],
            send_after=next_allowed(start, group.zone),
        )

    where = recipients(_audience(row.audience))
    added = await fan_out(connection, where, batch_for, settings.bot_timezone, now)
    await connection.execute(
        update(broadcasts)
        .where(broadcasts.c.id == row.id)
        .values(
            status=BroadcastStatus.SENDING.value,
            started_at=now,
            recipients=broadcasts.c.recipients + added,
        )
    )
    return added


async def start_due(connection: AsyncConnection, settings: Settings, now: datetime) -> int:
    """Queue scheduled broadcasts whose time has come; returns how many messages."""
    due = await connection.execute(
        update(broadcasts)
        .where(
            broadcasts.c.status == BroadcastStatus.SCHEDULED.value,
            broadcasts.c.send_at <= now,
        )
        .values(status=BroadcastStatus.SENDING.value)
        .returning(*broadcasts.c)
    )
    added = 0
    for row in due.all():
        added += await _enqueue(connection, row, settings, now)
    return added


async def cancel(connection: AsyncConnection, broadcast_id: int, now: datetime) -> int:
    """Stop it: what is still queued is not sent (what is in flight finishes); returns how many."""
    row = await _row(connection, broadcast_id, lock=True)
    if row.status in (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value):
        raise BroadcastError(f"broadcast {broadcast_id} is already {row.status}")
    await connection.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id)
        .values(status=BroadcastStatus.CANCELLED.value, finished_at=now)
    )
    return await outbox_rows.cancel_queued(
        connection,
        [OutboundKind.BROADCAST],
        "broadcast cancelled",
        outbox.c.item == str(broadcast_id),
    )


async def progress(connection: AsyncConnection, broadcast_id: int) -> Progress:
    row = await _row(connection, broadcast_id)
    counted = await connection.execute(
        select(outbox.c.status, func.count())
        .where(outbox.c.kind == OutboundKind.BROADCAST.value, outbox.c.item == str(broadcast_id))
        .group_by(outbox.c.status)
    )
    by_status = {Status(status): int(n) for status, n in counted}
    return Progress(
        broadcast_id=broadcast_id,
        status=BroadcastStatus(row.status),
        recipients=row.recipients,
        queued=by_status.get(Status.QUEUED, 0),
        sending=by_status.get(Status.SENDING, 0),
        sent=by_status.get(Status.SENT, 0),
        delivered=by_status.get(Status.DELIVERED, 0),
        failed=by_status.get(Status.FAILED, 0) + by_status.get(Status.REFUSED, 0),
        opted_out=by_status.get(Status.SUPPRESSED, 0),
        cancelled=by_status.get(Status.CANCELLED, 0),
    )


async def finish_done(connection: AsyncConnection, now: datetime) -> int:
    """Mark sending broadcasts with nothing left queued or in flight as done."""
    pending = exists().where(
        outbox.c.kind == OutboundKind.BROADCAST.value,
        outbox.c.item == cast(broadcasts.c.id, String),
        outbox.c.status.in_([Status.QUEUED.value, Status.SENDING.value]),
    )
    result = await connection.execute(
        update(broadcasts)
        .where(and_(broadcasts.c.status == BroadcastStatus.SENDING.value, ~pending))
        .values(status=BroadcastStatus.DONE.value, finished_at=now)
    )
    return int(result.rowcount)


async def latest(connection: AsyncConnection, created_by: str | None = None) -> int | None:
    """The newest broadcast (of one organizer, if given), for "status" without an id."""
    query = select(broadcasts.c.id).order_by(broadcasts.c.id.desc()).limit(1)
    if created_by is not None:
        query = query.where(broadcasts.c.created_by == created_by)
    found = await connection.scalar(query)
    return None if found is None else int(found)


async def recent(connection: AsyncConnection, limit: int = 20) -> list[Any]:
    rows = await connection.execute(
        select(broadcasts).order_by(broadcasts.c.id.desc()).limit(limit)
    )
    return list(rows)
