"""Sessions and resources as plain immutable values.

The catalog is small (tens of items) and read on every message, so the bot keeps an
immutable snapshot in memory and swaps it whole when organizers import a new one;
nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LANGUAGES = ("en", "es", "ar")
FALLBACK_LANGUAGE = "en"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SessionChange(StrEnum):
    """A change subscribers are told about."""

    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    RECORDING = "recording"


class ResourceKind(StrEnum):
    REPORT = "report"
    SLIDES = "slides"
    SCHOOL_OVERVIEW = "school_overview"
    BACKGROUND = "background"
    PAGE = "page"


@dataclass(frozen=True)
class Localized:
    """A text in up to three languages, with an explicit English fallback."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, language: str) -> str:
        return self.lookup(language)[0]

    def lookup(self, language: str) -> tuple[str, bool]:
        """The text in `language`, or the English one; the flag says a fallback happened."""
        text = self.values.get(language, "").strip()
        if text:
            return text, False
        return self.values.get(FALLBACK_LANGUAGE, "").strip(), language != FALLBACK_LANGUAGE

    def missing(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if not self.values.get(lang, "").strip())

    def __bool__(self) -> bool:
        return any(v.strip() for v in self.values.values())


@dataclass(frozen=True)
class Topic:
    """A theme people can search for or subscribe to, named in each language."""

    id: str
    name: Localized
    keywords: Localized = field(default_factory=Localized)


@dataclass(frozen=True)
class Session:
    id: str
    starts_at: datetime
    timezone: str
    duration_minutes: int
    title: Localized
    summary: Localized
    link: Localized
    topics: tuple[str, ...] = ()
    status: SessionStatus = SessionStatus.SCHEDULED
    version: int = 1

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def is_upcoming(self, now: datetime) -> bool:
        return self.status is SessionStatus.SCHEDULED and self.ends_at > now


@dataclass(frozen=True)
class Resource:
    id: str
    kind: ResourceKind
    title: Localized
    link: Localized
    summary: Localized = field(default_factory=Localized)
    session_ids: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    sessions: tuple[Session, ...] = ()
    resources: tuple[Resource, ...] = ()
    topics: tuple[Topic, ...] = ()

    @classmethod
    def of(
        cls,
        sessions: Iterable[Session],
        resources: Iterable[Resource],
        topics: Iterable[Topic] = (),
    ) -> Catalog:
        return cls(
            tuple(sorted(sessions, key=lambda s: (s.starts_at, s.id))),
            tuple(sorted(resources, key=lambda r: r.id)),
            tuple(sorted(topics, key=lambda t: t.id)),
        )

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def upcoming(self, now: datetime, *, include_cancelled: bool = False) -> list[Session]:
        """Sessions not yet over, soonest first; cancelled ones only when asked for, so a
        parent who heard about a date can see that it was called off."""
        return [
            s
            for s in self.sessions
            if s.ends_at > now and (include_cancelled or s.status is SessionStatus.SCHEDULED)
        ]

    def recent(self, now: datetime) -> list[Session]:
        """Sessions already held, newest first: these are the recordings."""
        return [
            s
            for s in reversed(self.sessions)
            if s.status is SessionStatus.SCHEDULED and s.ends_at <= now
        ]

    def resources_for(self, session_id: str) -> list[Resource]:
        return [r for r in self.resources if session_id in r.session_ids]

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)
