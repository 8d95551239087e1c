"""The dispatcher's loop in `serve` and `worker`: drains the outbox until asked to stop.

It wakes at once when something is queued in this process (`wake`) and otherwise polls,
because rows also come from other processes (a second worker, the CLI) and from retries
whose time has come. Stopping lets the batch in hand finish, so SIGTERM never leaves a
message claimed but unsent.

Only the holder of a channel's sender lease drains that channel, so the provider's rate
limit is kept by one token bucket for the whole deployment, however many processes run.
A process that takes the lease over puts back what its predecessor had claimed and not
settled: that predecessor is dead or cut off, and its batch would otherwise wait for the
5-minute reaper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.dispatcher import Dispatcher
from bot.failure_streak import FailureStreak
from bot.messages import ChannelName
from bot.metrics import Metrics
from bot.store import leases
from bot.store.engine import brief, is_transient

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# After a failed round the loop waits a poll, then twice that…, up to this: a database
# restart (a second or two) costs about that, and a long outage a try every few seconds.
ERROR_PAUSE_SECONDS = 5.0
# A send takes seconds at most (client time-outs are 10 s); a claim this old is orphaned.
STALE_CLAIM = timedelta(minutes=5)
REAP_EVERY = timedelta(minutes=1)
LEASE = timedelta(seconds=15)


def lease_name(channel: ChannelName) -> str:
    return f"sender:{channel.value}"


class OutboxPump:
    def __init__(
        self,
        engine: AsyncEngine,
        dispatcher: Dispatcher,
        metrics: Metrics,
        clock: Callable[[], datetime],
        poll_seconds: float = POLL_SECONDS,
        lease: timedelta = LEASE,
    ) -> None:
        self._engine = engine
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._lease = lease
        self._reaped_at: datetime | None = None
        # channel → until when this process surely holds its lease
        self._held_until: dict[ChannelName, datetime] = {}
        self.wake = Wake()
        dispatcher.send_only_while(self.holds)

    def holds(self, channel: ChannelName) -> bool:
        """Whether this process sends on `channel` now (no database call: the hot path asks)."""
        until = self._held_until.get(channel)
        return until is not None and self._clock() < until

    async def _renew(self, channel: ChannelName) -> bool:
        """Renew the lease when a third of it has passed; take it over if it has expired."""
        now = self._clock()
        until = self._held_until.get(channel)
        if until is not None and now < until - self._lease / 3:
            return True
        worker = self._dispatcher.worker
        async with self._engine.begin() as connection:
            held = await leases.hold(connection, lease_name(channel), worker, now, self._lease)
            if held and until is None:
                taken = await outbox.requeue_claims_of_others(connection, channel, worker)
                if taken:
                    log.warning("took over %s: requeued %d unsettled messages", channel, taken)
        if held:
            # A margin for the renewal's own delay: never act on a lease that may be gone.
            self._held_until[channel] = now + self._lease * 2 / 3
        else:
            self._held_until.pop(channel, None)
        return held

    async def take_leases(self) -> None:
        """Try for every channel's lease before traffic arrives, so the first replies of a
        single-process deployment go out at once and in order rather than via the queue."""
        for channel in self._dispatcher.channels:
            await self._renew(channel)

    async def _pump(self, channel: ChannelName, stop: asyncio.Event) -> None:
        async def keep_going() -> bool:
            # Checked before each batch: SIGTERM stops a long broadcast between batches,
            # and a lost lease stops this process from claiming more.
            return not stop.is_set() and self.holds(channel)

        if not await self._renew(channel):
            return
        # The lease is renewed beside the sends, not between batches: a batch slowed by a
        # provider's retry_after must not outlive the lease and be taken over mid-send.
        keeper = asyncio.create_task(self._keep(channel))
        try:
            await self._dispatcher.drain(channel, keep_going=keep_going)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _keep(self, channel: ChannelName) -> None:
        while True:
            # Every quarter: renewal falls due at a third, so it happens by half the lease,
            # before this process's own deadline at two thirds.
            await asyncio.sleep(self._lease.total_seconds() / 4)
            try:
                await self._renew(channel)
            except Exception as error:
                if not is_transient(error):
                    log.exception("could not renew the %s sender lease", channel)
                else:
                    # The drain's own failure says it with a traceback; once is enough.
                    log.warning("could not renew the %s sender lease: %s", channel, brief(error))

    async def release(self) -> None:
        """Hand the leases back at a clean stop, so a successor need not wait for expiry."""
        if not self._held_until:
            return
        async with self._engine.begin() as connection:
            for channel in self._held_until:
                await leases.release(
                    connection, lease_name(channel), self._dispatcher.worker, self._clock()
                )
        self._held_until.clear()

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
        """One loop per channel: a Telegram broadcast that takes an hour at 30/s must not
        hold up SMS replies and reminders, which have their own provider, limit and lease
        (a shared loop once stopped renewing the SMS lease until the broadcast ended)."""
        await asyncio.gather(*(self._loop(channel, stop) for channel in self._dispatcher.channels))
        try:
            await self.release()
        except Exception:
            log.exception("could not release the sender leases; they expire on their own")

    async def _loop(self, channel: ChannelName, stop: asyncio.Event) -> None:
        wake = self.wake.event()
        streak = FailureStreak(
            log,
            f"{channel} outbox drain failed",
            f"{channel} outbox drain works again after %d failed rounds",
        )
        while not stop.is_set():
            wake.clear()
            pause = self._poll_seconds
            try:
                await self.reap()
                await self._pump(channel, stop)
            except Exception as error:
                # The database restarting or a bug in one message: keep the loop alive.
                pause = min(ERROR_PAUSE_SECONDS, self._poll_seconds * 2**streak.count)
                self._metrics.errors.labels("dispatcher").inc()
                streak.failed(error, pause)
            else:
                streak.succeeded()
            if not self.holds(channel):
                # Waiting for another process's lease: look again once it may have lapsed.
                pause = min(pause, self._lease.total_seconds() / 3)
            await _first_of(stop, wake, seconds=pause)


class Wake:
    """ "Something was queued": wakes every channel's loop, each through its own event."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def event(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def set(self) -> None:
        for event in self._events:
            event.set()


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
