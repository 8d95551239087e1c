"""The dispatcher's loop in `serve`: drains the outbox until asked to stop.

It wakes at once when something is queued in this process (`wake`) and otherwise polls,
because rows also come from other processes (a second worker, the CLI) and from retries
whose time has come. Stopping lets the batch in hand finish, so SIGTERM never leaves a
message claimed but unsent.
"""

from __future__ import annotations

import asyncio
import logging

from bot.dispatcher import Dispatcher
from bot.metrics import Metrics

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
ERROR_PAUSE_SECONDS = 5.0


class OutboxPump:
    def __init__(
        self, dispatcher: Dispatcher, metrics: Metrics, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._poll_seconds = poll_seconds
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            pause = self._poll_seconds
            try:
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
