"""The dispatcher's loop in `serve`: drains the outbox until asked to stop.

It wakes at once when something is queued in this process (`wake`) and otherwise polls,
because rows also come from other processes (a second worker, the CLI) and from retries
whose time has come. Stopping lets the batch in hand finish, so SIGTERM never leaves a
message claimed but unsent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.dispatcher import Dispatcher
from bot.metrics import Metrics

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
ERROR_PAUSE_SECONDS = 5.0
# A send takes seconds at most (client time-outs are 10 s); a claim this old is orphaned.
STALE_CLAIM = timedelta(minutes=5)
REAP_EVERY = timedelta(minutes=1)


class OutboxPump:
    def __init__(
        self,
        engine: AsyncEngine,
        dispatcher: Dispatcher,
        metrics: Metrics,
        clock: Callable[[], datetime],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._engine = engine
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._reaped_at: datetime | None = None
        self.wake = asyncio.Event()

    async def reap(self) -> int:
        """Requeue orphaned claims, at most once a minute; returns how many."""
        now = self._clock()
        if self._reaped_at is not None and now - self._reaped_at < REAP_EVERY:
            return 0
        self._reaped_at = now
        async with self._engine.begin() as connection:
            count = await outbox.requeue_stale(connection, now - STALE_CLAIM)
        if count:
            log.warning("requeued %d messages whose sender stopped mid-send", count)
        return count

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            pause = self._poll_seconds
            try:
                await self.reap()
                for channel in self._dispatcher.channels:
                    await self._dispatcher.drain(channel)
            except Exception:
                # The database restarting or a bug in one message: keep the loop alive.
                log.exception("outbox drain failed; trying again in %.0f s", ERROR_PAUSE_SECONDS)
                self._metrics.errors.labels("dispatcher").inc()
                pause = ERROR_PAUSE_SECONDS
            await _first_of(stop, self.wake, seconds=pause)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
