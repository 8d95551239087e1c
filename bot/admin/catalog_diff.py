"""What saving a catalog would change, worked out before anything is written.

The import preview and the session form both show it: which items are new, changed,
the same or gone, and which sessions' subscribers will be told (moved, called off, or
a recording published). The rule for notices is `catalog_repo.save`'s own, restated on
models so a preview needs no transaction; a test holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from catalog.models import (
    Catalog,
    Localized,
    Resource,
    Session,
    SessionChange,
    SessionStatus,
    Topic,
)

ItemKind = Literal["topic", "session", "resource"]


@dataclass(frozen=True)
class Item:
    kind: ItemKind
    id: str
    title: Localized


@dataclass(frozen=True)
class Announcement:
    """A change subscribers will hear about, with the session as it will be."""

    change: SessionChange
    session: Session
    before: Session


@dataclass(frozen=True)
class CatalogDiff:
    added: tuple[Item, ...] = ()
    updated: tuple[Item, ...] = ()
    unchanged: tuple[Item, ...] = ()
    removed: tuple[Item, ...] = ()
    announcements: tuple[Announcement, ...] = ()
    # Sessions still ahead that a replacing import drops: nobody is told about those.
    removed_ahead: tuple[Session, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def session_change(old: Session, new: Session, now: datetime) -> SessionChange | None:
    """What subscribers must hear when `old` becomes `new`: as `catalog_repo.save` decides.

    A session called off or moved while still ahead; a recording link appearing or
    changing once it is over. Wording, or sessions long past, change silently.
    """
    was_ahead = old.ends_at > now
    if new.status is SessionStatus.CANCELLED:
        if old.status is not SessionStatus.CANCELLED and was_ahead:
            return SessionChange.CANCELLED
        return None
    if old.starts_at != new.starts_at and (was_ahead or new.ends_at > now):
        return SessionChange.RESCHEDULED
    if new.ends_at <= now and old.link != new.link and new.link:
        return SessionChange.RECORDING
    return None


def _item(kind: ItemKind, value: Topic | Session | Resource) -> Item:
    title = value.name if isinstance(value, Topic) else value.title
    return Item(kind, value.id, title)


def _same(old: Topic | Session | Resource, new: Topic | Session | Resource) -> bool:
    """Equal as stored: the database owns a session's version, files never carry it."""
    if isinstance(old, Session) and isinstance(new, Session):
        return replace(new, version=old.version) == old
    return old == new


def diff_catalogs(
    stored: Catalog, incoming: Catalog, now: datetime, *, replace_all: bool = False
) -> CatalogDiff:
    """Merging `incoming` into `stored` by id (or replacing it all, with `replace_all`)."""
    added: list[Item] = []
    updated: list[Item] = []
    unchanged: list[Item] = []
    removed: list[Item] = []
    announcements: list[Announcement] = []
    sections: tuple[
        tuple[
            ItemKind, tuple[Topic | Session | Resource, ...], tuple[Topic | Session | Resource, ...]
        ],
        ...,
    ] = (
        ("topic", stored.topics, incoming.topics),
        ("session", stored.sessions, incoming.sessions),
        ("resource", stored.resources, incoming.resources),
    )
    for kind, old_items, new_items in sections:
        existing = {item.id: item for item in old_items}
        for new in new_items:
            old = existing.get(new.id)
            if old is None:
                added.append(_item(kind, new))
            elif _same(old, new):
                unchanged.append(_item(kind, new))
            else:
                updated.append(_item(kind, new))
                if isinstance(old, Session) and isinstance(new, Session):
                    change = session_change(old, new, now)
                    if change is not None:
                        announcements.append(Announcement(change, new, old))
        if replace_all:
            kept = {item.id for item in new_items}
            removed.extend(_item(kind, old) for old in old_items if old.id not in kept)
    kept_sessions = {s.id for s in incoming.sessions}
    removed_ahead = tuple(
        s
        for s in stored.sessions
        if replace_all and s.id not in kept_sessions and s.is_upcoming(now)
    )
    return CatalogDiff(
        tuple(added),
        tuple(updated),
        tuple(unchanged),
        tuple(removed),
        tuple(announcements),
        removed_ahead,
    )


def with_session(catalog: Catalog, session: Session) -> Catalog:
    """`catalog` with `session` added, or put in place of the one with its id."""
    others = [s for s in catalog.sessions if s.id != session.id]
    return Catalog.of([*others, session], catalog.resources, catalog.topics)


def with_resource(catalog: Catalog, resource: Resource) -> Catalog:
    others = [r for r in catalog.resources if r.id != resource.id]
    return Catalog.of(catalog.sessions, [*others, resource], catalog.topics)
