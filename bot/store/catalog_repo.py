"""The catalog's home in the database, and the import that replaces or merges it.

Organizers edit the catalog as a file or in the console; every process reads it from
here. A session's `version` goes up whenever its time, length or status changes, so
reminders computed for the old time can recognise themselves as stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import outbox as outbox_rows
from bot.messages import OutboundKind
from bot.store.tables import meta, outbox, resources, session_events, sessions, topics
from bot.store.upsert import insert_for
from catalog.models import (
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionChange,
    SessionStatus,
    Topic,
)

REVISION_KEY = "catalog_revision"


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    rescheduled: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _texts(value: Localized) -> dict[str, str]:
    return {lang: text for lang, text in value.values.items() if text}


def _session_row(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "starts_at": session.starts_at,
        "timezone": session.timezone,
        "duration_minutes": session.duration_minutes,
        "status": session.status.value,
        "topics": list(session.topics),
        "title": _texts(session.title),
        "summary": _texts(session.summary),
        "link": _texts(session.link),
    }


def _resource_row(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "kind": resource.kind.value,
        "title": _texts(resource.title),
        "summary": _texts(resource.summary),
        "link": _texts(resource.link),
        "session_ids": list(resource.session_ids),
        "topics": list(resource.topics),
    }


def _topic_row(topic: Topic) -> dict[str, Any]:
    return {"id": topic.id, "name": _texts(topic.name), "keywords": _texts(topic.keywords)}


async def load(connection: AsyncConnection) -> Catalog:
    session_rows = await connection.execute(select(sessions))
    resource_rows = await connection.execute(select(resources))
    topic_rows = await connection.execute(select(topics))
    return Catalog.of(
        (
            Session(
                id=row.id,
                starts_at=row.starts_at,
                timezone=row.timezone,
                duration_minutes=row.duration_minutes,
                title=Localized(row.title),
                summary=Localized(row.summary),
                link=Localized(row.link),
                topics=tuple(row.topics),
                status=SessionStatus(row.status),
                version=row.version,
            )
            for row in session_rows
        ),
        (
            Resource(
                id=row.id,
                kind=ResourceKind(row.kind),
                title=Localized(row.title),
                link=Localized(row.link),
                summary=Localized(row.summary),
                session_ids=tuple(row.session_ids),
                topics=tuple(row.topics),
            )
            for row in resource_rows
        ),
        (
            Topic(id=row.id, name=Localized(row.name), keywords=Localized(row.keywords))
            for row in topic_rows
        ),
    )


async def revision(connection: AsyncConnection) -> int:
    value = await connection.scalar(select(meta.c.value).where(meta.c.key == REVISION_KEY))
    return int(value) if value is not None else 0


async def is_empty(connection: AsyncConnection) -> bool:
    return await revision(connection) == 0


async def _bump_revision(connection: AsyncConnection) -> None:
    current = await revision(connection)
    statement = insert_for(connection, meta).values(key=REVISION_KEY, value=str(current + 1))
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[meta.c.key], set_={"value": str(current + 1)}
        )
    )


def _schedule_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old[k] != new[k] for k in ("starts_at", "timezone", "duration_minutes", "status"))


def _event_of(old: dict[str, Any], new: dict[str, Any], now: datetime) -> SessionChange | None:
    """What subscribers must hear about this change, if anything.

    A session called off or moved while still ahead; a recording link appearing or
    changing once it is over. Edits of wording, or of sessions long past, are silent.
    """
    ends_at = new["starts_at"] + timedelta(minutes=new["duration_minutes"])
    was_ahead = old["starts_at"] + timedelta(minutes=old["duration_minutes"]) > now
    cancelled = SessionStatus.CANCELLED.value
    if new["status"] == cancelled:
        if old["status"] != cancelled and was_ahead:
            return SessionChange.CANCELLED
        return None
    if old["starts_at"] != new["starts_at"] and (was_ahead or ends_at > now):
        return SessionChange.RESCHEDULED
    if ends_at <= now and old["link"] != new["link"] and new["link"]:
        return SessionChange.RECORDING
    return None


async def _record_event(
    connection: AsyncConnection,
    session_id: str,
    kind: SessionChange,
    version: int,
    now: datetime,
) -> None:
    """Note the change for the scheduler's notices, and drop what the change made stale:
    reminders for the old time and notices not yet sent about an earlier change."""
    await connection.execute(
        session_events.insert().values(
            session_id=session_id, kind=kind.value, version=version, created_at=now
        )
    )
    await _drop_queued(connection, [session_id], "the session changed")


async def _drop_queued(
    connection: AsyncConnection,
    session_ids: list[str],
    why: str,
    kinds: tuple[OutboundKind, ...] = (OutboundKind.REMINDER, OutboundKind.NOTICE),
) -> None:
    await outbox_rows.cancel_queued(connection, kinds, why, outbox.c.item.in_(session_ids))


async def save(
    connection: AsyncConnection, catalog: Catalog, now: datetime, *, replace: bool = False
) -> ImportReport:
    """Merge `catalog` into the database by id; with `replace`, drop items it lacks.

    Runs in the caller's transaction, so a failure leaves the stored catalog untouched.
    """
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    rescheduled: list[str] = []
    removed: list[str] = []

    for table, rows in (
        (topics, [_topic_row(t) for t in catalog.topics]),
        (sessions, [_session_row(s) for s in catalog.sessions]),
        (resources, [_resource_row(r) for r in catalog.resources]),
    ):
        existing = {row["id"]: row for row in (await connection.execute(select(table))).mappings()}
        for row in rows:
            old = existing.get(row["id"])
            if old is None:
                extra = {"version": 1} if table is sessions else {}
                await connection.execute(table.insert().values(**row, **extra, updated_at=now))
                added.append(row["id"])
            elif all(old[k] == v for k, v in row.items()):
                unchanged.append(row["id"])
            else:
                values = dict(row, updated_at=now)
                if table is sessions and _schedule_changed(dict(old), row):
                    values["version"] = old["version"] + 1
                    rescheduled.append(row["id"])
                event = _event_of(dict(old), row, now) if table is sessions else None
                if event is not None:
                    version = values.get("version", old["version"])
                    await _record_event(connection, row["id"], event, version, now)
                elif "version" in values:
                    # A new length or zone is silent, but the queued reminders carry the
                    # old version: the next tick queues them again under the new one.
                    await _drop_queued(
                        connection, [row["id"]], "the session changed", (OutboundKind.REMINDER,)
                    )
                await connection.execute(
                    update(table).where(table.c.id == row["id"]).values(**values)
                )
                updated.append(row["id"])
        if replace:
            gone = sorted(set(existing) - {row["id"] for row in rows})
            if gone:
                await connection.execute(delete(table).where(table.c.id.in_(gone)))
                removed.extend(gone)
                if table is sessions:
                    await _drop_queued(connection, gone, "the session was removed")

    report = ImportReport(
        tuple(added), tuple(updated), tuple(unchanged), tuple(removed), tuple(rescheduled)
    )
    if report.changed or await is_empty(connection):
        await _bump_revision(connection)
    return report
