"""Fixtures shared by the whole suite: both databases, a fixed clock, a chat harness.

Every test that takes `runtime` (or anything built on it) runs twice: on SQLite and on the
PostgreSQL at 127.0.0.1:5432. Outside CI an unreachable PostgreSQL skips its half with a
reason; under CI=true it fails the run instead, so a green CI always means both ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from handlers import HANDLERS
from tests.support import loopback_only
from tests.support.chat import Chat, FrozenClock, RecordingChannel
from tests.support.fresh import fresh_install
from tests.support.required import missing


def pytest_configure(config: pytest.Config) -> None:
    loopback_only.install()


POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
# 2026-11-22 10:00 in California: every bundled session (2022-2024) is in the past.
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


async def _create_postgres_database() -> str:
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        missing(f"PostgreSQL unreachable at {POSTGRES_ADMIN_DSN}: {error}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}"
        return
    name = await _create_postgres_database()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await _drop_postgres_database(name)


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(scope="session")
async def session_runtime(database_url: str, clock: FrozenClock) -> AsyncIterator[Runtime]:
    settings = Settings(database_url=database_url)
    runtime = await open_runtime(settings, HANDLERS, clock=clock, catalog_max_age=0)
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
async def runtime(session_runtime: Runtime, clock: FrozenClock) -> AsyncIterator[Runtime]:
    """The session's runtime with people, messages and the catalog reset for this test."""
    clock.now = NOW
    await fresh_install(session_runtime.engine, NOW)
    yield session_runtime


@pytest.fixture
def recorder() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def chat(runtime: Runtime, recorder: RecordingChannel) -> Chat:
    return Chat(runtime, recorder, contact="parent-1")


@pytest.fixture
def fixtures_dir() -> Iterator[Path]:
    yield Path(__file__).parent / "fixtures"
