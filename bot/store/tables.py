"""The database schema, as SQLAlchemy Core tables.

Core rather than ORM objects: the hot path (one inbound message → a few statements) is
measured against a 1,000 messages/s target, and Core statements skip the unit-of-work
bookkeeping. Alembic migrations in `bot/store/migrations` must match this module;
`tests/bot/test_migrations.py` checks that they do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a
# table (the outbox) that grows by one row per message sent.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


contacts = Table(
    "contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("address", String(128), nullable=False),
    Column("locale", String(8)),
    Column("locale_chosen", Boolean, nullable=False, default=False),
    Column("display_name", String(128)),
    # Mirrors the newest consent event so the send path checks one column; written only
    # by bot.store.consent together with the ledger row.
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("state", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # The carrier's last word on why messages to this number do not arrive (Twilio
    # 30003/30005/30006: unreachable, unknown, landline), shown to organizers.
    Column("delivery_problem", String(64)),
    Column("delivery_problem_at", UTCDateTime),
    # Where the person lives, for reminder times and quiet hours; NULL means BOT_TIMEZONE.
    Column("timezone", String(64)),
    # How long before a session to remind, as "1440,60" (minutes, longest first); NULL
    # means the default. A string rather than a child table so the scheduler can pick
    # everyone due for one lead time with a plain IN over the few distinct values.
    Column("reminder_minutes", String(64)),
    UniqueConstraint("channel", "address"),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("address", String(128), nullable=False),
    Column("action", String(8), nullable=False),
    Column("source", String(32), nullable=False),
    Column("detail", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_consent_events_address", "channel", "address", "id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    # "*" means every session; otherwise a topic id of the catalog.
    Column("topic_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("contact_id", "topic_id"),
)

inbound_seen = Table(
    "inbound_seen",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("external_id", String(128), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("starts_at", UTCDateTime, nullable=False, index=True),
    Column("timezone", String(64), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("topics", JSON, nullable=False),
    Column("title", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("link", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

resources = Table(
    "resources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("title", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("link", JSON, nullable=False),
    Column("session_ids", JSON, nullable=False),
    Column("topics", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

topics = Table(
    "topics",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", JSON, nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("address", String(128), nullable=False),
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("locale", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("buttons", JSON, nullable=False),
    # (recipient, item, kind, version) for reminders and broadcasts: at most once each.
    Column("idempotency_key", String(255), unique=True),
    # What a bulk row belongs to (a broadcast id, a session id): progress counts and
    # cancelling or dropping stale reminders find their rows through it.
    Column("item", String(64)),
    Column("status", String(16), nullable=False),
    Column("send_after", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("provider_id", String(64)),
    Column("claimed_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Index("ix_outbox_queue", "channel", "status", "priority", "id"),
    Index("ix_outbox_item", "kind", "item", "status"),
    # The console's messages-out counts and chart read recent rows only.
    Index("ix_outbox_created_at", "created_at"),
)

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # {"en": "...", "es": "..."}: languages left out fall back to English.
    Column("texts", JSON, nullable=False),
    # {"languages": [...], "channels": [...], "topics": [...], "subscribed": true}; an
    # empty list means "any".
    Column("audience", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("send_at", UTCDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("recipients", Integer, nullable=False, default=0),
)

session_events = Table(
    "session_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("session_id", String(64), nullable=False),
    # rescheduled, cancelled or recording: what subscribers are told about.
    Column("kind", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Set once its notices are in the outbox; NULL rows are the scheduler's to-do list.
    Column("notified_at", UTCDateTime, index=True),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

inbound_log = Table(
    "inbound_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Deleted with the contact: a parent who asks to be forgotten takes their words along.
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("locale", String(8)),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Index("ix_inbound_log_contact", "contact_id", "id"),
    # The flood limit's count of one contact's messages in the last minute.
    Index("ix_inbound_log_contact_time", "contact_id", "created_at"),
)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    # SHA-256 of the cookie's token: a copy of the database signs nobody in.
    Column("token_hash", String(64), primary_key=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

admin_login_failures = Table(
    "admin_login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("remote", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_admin_login_failures_remote", "remote", "created_at"),
)
