"""Engine creation and schema upgrades for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, exc, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store import inline_sqlite

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_SECONDS = 5.0


def create_engine(url: str) -> AsyncEngine:
    """An async engine tuned for the database behind `url`.

    SQLite gets BEGIN IMMEDIATE transactions, WAL (commits without rewriting pages), a
    busy timeout (a CLI import can run beside the server), synchronous=NORMAL (safe with
    WAL: a power cut may lose the last commits, never the file) and one connection per
    process driven inline (see `bot.store.inline_sqlite` for why, and for the figures).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)

    database = parsed.database or ":memory:"
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        async_creator=inline_sqlite.connector(database, SQLITE_BUSY_TIMEOUT_SECONDS),
        pool_size=1,
        max_overflow=0,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by `_begin_immediate` below, not by the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        # A deferred transaction that reads, then writes after another process wrote,
        # fails at once with SQLITE_BUSY_SNAPSHOT; IMMEDIATE takes the write lock up
        # front (waiting up to the busy timeout), so a claim or a broadcast's
        # check-then-update sees no other writer between its statements.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# Errors of the statement itself: asking again cannot help.
_DETERMINISTIC = (exc.IntegrityError, exc.ProgrammingError, exc.DataError, exc.NotSupportedError)


def is_transient(error: BaseException) -> bool:
    """Whether the same statement may succeed if tried again soon.

    True for a database that is restarting or unreachable and for a connection lost
    mid-statement: asyncpg's "the database system is shutting down" arrives as a plain
    `DBAPIError`, a refused or reset connection as a bare `OSError` (SQLAlchemy wraps only
    the driver's own errors), a full pool as SQLAlchemy's `TimeoutError`; SQLite's
    "database is locked" is an `OperationalError`. False for a violated constraint or a
    bad statement, which would fail the same way for ever.
    """
    if isinstance(error, _DETERMINISTIC):
        return False
    return isinstance(error, exc.DBAPIError | exc.TimeoutError | OSError | TimeoutError)


def brief(error: BaseException) -> str:
    """An error in one line, for a warning that repeats while the database is away:
    SQLAlchemy's messages go on with the statement and a link on further lines."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:200]


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration; safe to call at each start."""
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(_alembic_config(sync), "head"))
