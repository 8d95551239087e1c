"""The Alembic migrations build exactly the schema `bot/store/tables.py` describes."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.runtime import Runtime
from bot.store.engine import upgrade
from bot.store.tables import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


async def test_migrated_database_matches_the_table_definitions(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_upgrading_twice_is_harmless(runtime: Runtime) -> None:
    await upgrade(runtime.engine)
    await upgrade(runtime.engine)
