"""Builds the long-lived parts once: engine, schema, translations, catalog, conversation."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog_cache import CatalogCache
from bot.channels.base import Channel
from bot.config import Settings
from bot.conversation import Conversation
from bot.dispatcher import Dispatcher
from bot.i18n import I18n, load_locale_data
from bot.langdetect import warm_up
from bot.messages import ChannelName
from bot.metrics import Metrics
from bot.ratelimit import Throttle
from bot.router import Intent
from bot.store import catalog_repo
from bot.store.engine import create_engine, upgrade
from bot.store.tables import meta
from catalog.io import BUNDLED_CATALOG, load_catalog
from catalog.models import Catalog
from handlers.context import Handler

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    i18n: I18n
    catalog: CatalogCache
    conversation: Conversation
    clock: Callable[[], datetime]
    worker: str

    def dispatcher(
        self,
        channels: Mapping[ChannelName, Channel],
        throttles: Mapping[ChannelName, Throttle] | None = None,
        metrics: Metrics | None = None,
    ) -> Dispatcher:
        return Dispatcher(self.engine, channels, self.worker, self.clock, throttles, metrics)

    def with_settings(self, settings: Settings) -> Runtime:
        """The same database, translations and catalog under other settings.

        Only what handlers read from settings changes (organizers, rates, prices): the
        engine is shared, so `settings.database_url` is not looked at. Tests use it to
        become organizers without opening a second database.
        """
        conversation = Conversation(
            self.engine,
            self.conversation.handlers,
            self.i18n,
            self.catalog,
            self.clock,
            self.worker,
            settings,
        )
        return replace(self, settings=settings, conversation=conversation)

    async def close(self) -> None:
        await self.engine.dispose()


async def seed_catalog(engine: AsyncEngine, clock: Callable[[], datetime]) -> None:
    """Import the bundled catalog into an empty database, so a fresh install has content."""
    async with engine.begin() as connection:
        if not await catalog_repo.is_empty(connection):
            return
        report = await catalog_repo.save(connection, load_catalog(BUNDLED_CATALOG), clock())
    log.info("imported the bundled catalog: %d items", len(report.added))


def _sqlite_file_missing(database_url: str) -> bool:
    """An SQLite database not created yet: connecting would create it."""
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and not Path(url.database or ":memory:").is_file()


async def catalog_to_merge_into(settings: Settings) -> Catalog:
    """What `catalog import` without --replace merges a file into, read without changing
    anything: the stored catalog or, in a database the bot never started on, the bundled
    one its first start imports. `catalog check` checks a file against it, so that check
    and import agree on a partial file that refers to stored topics and sessions."""
    if _sqlite_file_missing(settings.database_url):
        return load_catalog(BUNDLED_CATALOG)
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            started = await connection.run_sync(lambda sync: inspect(sync).has_table(meta.name))
            if started and not await catalog_repo.is_empty(connection):
                return await catalog_repo.load(connection)
    finally:
        await engine.dispose()
    return load_catalog(BUNDLED_CATALOG)


async def open_runtime(
    settings: Settings,
    handlers: Mapping[Intent, Handler],
    clock: Callable[[], datetime] = utc_now,
    catalog_max_age: float = 2.0,
) -> Runtime:
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await seed_catalog(engine, clock)
    i18n = I18n()
    load_locale_data()
    warm_up()
    catalog = CatalogCache(max_age=catalog_max_age)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    conversation = Conversation(engine, handlers, i18n, catalog, clock, worker, settings)
    return Runtime(settings, engine, i18n, catalog, conversation, clock, worker)
