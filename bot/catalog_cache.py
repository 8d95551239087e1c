"""The in-memory catalog snapshot every conversation turn reads.

The catalog changes a few times a month and is read on every message, so each process
keeps an immutable snapshot with its search index and reloads it only when the stored
revision moves; the revision is looked at no more often than `max_age` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import catalog_repo
from catalog.models import Catalog
from catalog.search import CatalogIndex


@dataclass(frozen=True)
class Snapshot:
    revision: int
    catalog: Catalog
    index: CatalogIndex


class CatalogCache:
    def __init__(
        self, max_age: float = 2.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_age = max_age
        self._monotonic = monotonic
        self._snapshot: Snapshot | None = None
        self._checked_at = float("-inf")

    async def current(self, connection: AsyncConnection) -> Snapshot:
        now = self._monotonic()
        if self._snapshot is not None and now - self._checked_at < self._max_age:
            return self._snapshot
        revision = await catalog_repo.revision(connection)
        if self._snapshot is None or self._snapshot.revision != revision:
            catalog = await catalog_repo.load(connection)
            self._snapshot = Snapshot(revision, catalog, CatalogIndex(catalog))
        self._checked_at = now
        return self._snapshot
