"""A database as a fresh install has it: no people or messages, the bundled catalog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import catalog_repo
from bot.store.tables import (
    admin_login_failures,
    admin_sessions,
    broadcasts,
    consent_events,
    contacts,
    inbound_log,
    inbound_seen,
    leases,
    outbox,
    session_events,
    subscriptions,
)
from catalog.io import BUNDLED_CATALOG, load_catalog

# Children before parents, so no foreign key is in the way.
RESET_TABLES = (
    outbox,
    inbound_log,
    subscriptions,
    consent_events,
    inbound_seen,
    contacts,
    broadcasts,
    session_events,
    # Leases too: one left by a worker process on the real clock would look held for
    # ever to the frozen clock, and no test server would then send a thing.
    leases,
    admin_sessions,
    admin_login_failures,
)


async def fresh_install(engine: AsyncEngine, now: datetime) -> None:
    async with engine.begin() as connection:
        for table in RESET_TABLES:
            await connection.execute(delete(table))
        await catalog_repo.save(connection, load_catalog(BUNDLED_CATALOG), now, replace=True)
