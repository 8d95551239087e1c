"""Drains the outbox: claim, check consent, throttle, send, record what happened."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.channels.base import Channel, OutcomeKind, SendOutcome
from bot.loop_guard import LoopGuard
from bot.messages import Address, ChannelName, OutboundMessage
from bot.metrics import Metrics
from bot.outbox import Status
from bot.ratelimit import Throttle
from bot.redact import describe
from bot.store import consent
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.outage import patiently

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MIN_BATCH = 5
MAX_BATCH = 200
BATCH_SECONDS = 0.5
BASE_BACKOFF_SECONDS = 2.0
# Outcomes already known wait this long for the database to come back (a restart takes
# a second or two) before they are given up: those rows then stay claimed until the
# reaper puts them back, and what had really gone out is sent again.
RECORD_PATIENCE_SECONDS = 60.0
RECORD_FIRST_PAUSE_SECONDS = 0.2
RECORD_MAX_PAUSE_SECONDS = 5.0
# A provider's hold on a chat (a 429's retry_after) up to this long is waited out in the
# batch, like the per-chat pace; a longer one gives the chat's messages back to the queue
# until it ends, so that one held chat never keeps the rest of a broadcast waiting.
HOLD_IN_BATCH_SECONDS = 1.0
# Holds that are over are forgotten every so many new ones: memory follows the holds.
_PRUNE_HELD_EVERY = 1024

Sent = tuple[OutboundMessage, SendOutcome]


async def settle(work: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run `work` side by side until every part has finished, then raise the first error.

    Unlike a plain gather, one part failing does not leave the others running unawaited:
    the round that starts next must not drain beside the remains of this one.
    """
    for outcome in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


def _by_address(messages: Iterable[OutboundMessage]) -> list[list[OutboundMessage]]:
    """Each person's messages, in the order given."""
    by_address: dict[Address, list[OutboundMessage]] = {}
    for message in messages:
        by_address.setdefault(message.address, []).append(message)
    return list(by_address.values())


class _InFlight:
    """What a drain has claimed and not settled yet: a task per person's messages.

    A person's next messages, claimed while earlier ones are still in flight, start
    only when those have settled, so nobody gets their messages out of order.
    """

    def __init__(self) -> None:
        self.count = 0
        self.errors: list[BaseException] = []
        self._last: dict[Address, asyncio.Task[None]] = {}
        self._freed = asyncio.Event()

    def start(
        self,
        messages: Sequence[OutboundMessage],
        send: Callable[[Sequence[OutboundMessage]], Awaitable[None]],
    ) -> None:
        address = messages[0].address
        task = asyncio.create_task(self._after(self._last.get(address), send, messages))
        self._last[address] = task
        self.count += len(messages)

        def settled(task: asyncio.Task[None]) -> None:
            self.count -= len(messages)
            if self._last.get(address) is task:
                del self._last[address]
            error = None if task.cancelled() else task.exception()
            if error is not None:
                self.errors.append(error)
            self._freed.set()

        task.add_done_callback(settled)

    @staticmethod
    async def _after(
        earlier: asyncio.Task[None] | None,
        send: Callable[[Sequence[OutboundMessage]], Awaitable[None]],
        messages: Sequence[OutboundMessage],
    ) -> None:
        if earlier is not None:
            await asyncio.wait([earlier])
        await send(messages)

    async def wait_below(self, limit: int) -> None:
        """Until fewer than `limit` messages are in flight, or one of them failed."""
        while self.count >= limit and not self.errors:
            self._freed.clear()
            await self._freed.wait()

    async def settle(self) -> None:
        """Until everything in flight has settled (the last task of each person waits
        for that person's earlier ones)."""
        while self._last:
            await asyncio.wait(list(self._last.values()))


class GroupCommit:
    """Writes the outcomes of concurrent deliveries in shared transactions.

    While one transaction is being written, outcomes arriving meanwhile wait and go
    together in the next: one commit per batch instead of one per reply under load, and
    no added delay when the server is quiet. Each caller still returns only once its own
    outcomes are committed (or with the error that stopped them).
    """

    def __init__(self, write: Callable[[Sequence[Sent]], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[tuple[Sequence[Sent], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, sent: Sequence[Sent]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._pending.append((sent, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._write([pair for sent, _ in batch for pair in sent])
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        channels: Mapping[ChannelName, Channel],
        worker: str,
        clock: Callable[[], datetime],
        throttles: Mapping[ChannelName, Throttle] | None = None,
        metrics: Metrics | None = None,
        loop_guard: LoopGuard | None = None,
    ) -> None:
        self._engine = engine
        self._channels = channels
        self._worker = worker
        self._clock = clock
        self._throttles = throttles or {}
        self._metrics = metrics
        self._loop_guard = loop_guard or LoopGuard()
        self._may_send: Callable[[ChannelName], bool] = lambda channel: True
        self._recorder = GroupCommit(self._write)
        # Chats a provider asked us to leave alone, and until when.
        self._held: dict[Address, datetime] = {}
        self._holds = 0

    @property
    def channels(self) -> Mapping[ChannelName, Channel]:
        return self._channels

    @property
    def worker(self) -> str:
        return self._worker

    def send_only_while(self, may_send: Callable[[ChannelName], bool]) -> None:
        """Check `may_send` (the pump's lease) right before each provider call.

        Between batches is not enough: a process whose event loop stalled (a database
        lock, a swapped-out host) may wake with its lease taken over, and the rest of its
        batch would then go out beside the successor's sends, over the provider's limit.
        """
        self._may_send = may_send

    def batch_size(self, channel: ChannelName) -> int:
        """About half a second of sending at the channel's rate, within [MIN, MAX]_BATCH.

        No more than a batch is ever claimed and not yet recorded, so it bounds what a
        crash can leave claimed (and a restart then sends again): small at 30 messages a
        second, large enough to amortise the claims when the limit is lifted.
        """
        throttle = self._throttles.get(channel)
        if throttle is None:
            return MAX_BATCH
        wanted = int(throttle.limiter.overall.per_second * BATCH_SECONDS)
        return max(MIN_BATCH, min(MAX_BATCH, wanted))

    async def drain(
        self,
        channel: ChannelName,
        batch: int | None = None,
        keep_going: Callable[[], Awaitable[bool]] | None = None,
    ) -> int:
        """Send every due message of `channel`; returns how many were handled.

        A claim is one transaction that also suppresses what opted-out people would get;
        sends then run and their outcomes are recorded as they come. At most `batch`
        messages are claimed and not yet recorded at any time, which bounds what a crash
        may send twice (a restart finds them marked as sending), and claims are topped
        up as soon as half of that is free: a slow send (a time-out takes 10 s) keeps
        its own place only, and everyone else keeps flowing. One person's messages still
        go one after another, in order, across claims too. `keep_going` is asked before
        each claim (the pump's lease: stop when another process sends). A failure stops
        the claims and is raised once what is in flight has settled.
        """
        size = batch or self.batch_size(channel)
        handled = 0
        in_flight = _InFlight()
        try:
            while not in_flight.errors and (keep_going is None or await keep_going()):
                wanted = size - in_flight.count
                async with self._engine.begin() as connection:
                    now = self._clock()
                    claimed = await outbox.claim(connection, channel, self._worker, now, wanted)
                    stopped = await outbox.opted_out_among(connection, claimed)
                    suppressed = [
                        outbox.Outcome(m.id, Status.SUPPRESSED)
                        for m in claimed
                        if m.address in stopped and m.kind not in outbox.CONSENT_EXEMPT
                    ]
                    if suppressed:
                        await outbox.record(connection, suppressed, now, self._worker)
                skip = {o.message_id for o in suppressed}
                for messages in _by_address(m for m in claimed if m.id not in skip):
                    in_flight.start(messages, self._send_and_record)
                handled += len(claimed)
                if len(claimed) < wanted:
                    break
                await in_flight.wait_below(size // 2 + 1)
        finally:
            await in_flight.settle()
        if in_flight.errors:
            raise in_flight.errors[0]
        return handled

    async def deliver(self, messages: Sequence[OutboundMessage]) -> None:
        """Send claimed messages and record the outcomes.

        Different people are served concurrently (the throttles keep the pace); one
        person's messages go one after another, so a turn's replies arrive in order.
        Each person's outcomes are recorded as soon as they are known (group commit
        merges the writes), so a crash can repeat only what was really in flight, not
        the whole batch.
        """
        await settle(self._send_and_record(q) for q in _by_address(messages))

    async def _send_and_record(self, messages: Sequence[OutboundMessage]) -> None:
        await self._recorder.record(await self._send_in_order(messages))

    async def _write(self, sent: Sequence[Sent]) -> None:
        """Record outcomes, waiting out a database that is briefly away.

        These messages have reached the provider (or been refused by it): an outcome not
        written leaves its row claimed, and the reaper would send it again. So a
        connection lost, a restart or a refusal to connect is retried with backoff for up
        to RECORD_PATIENCE_SECONDS; meanwhile later outcomes queue behind in the group
        commit, and the batch waits rather than claim more.
        """
        what = f"record {len(sent)} outcomes"
        attempts = patiently(
            what, RECORD_PATIENCE_SECONDS, RECORD_FIRST_PAUSE_SECONDS, RECORD_MAX_PAUSE_SECONDS
        )
        async for attempt in attempts:
            with attempt:
                await self._write_once(sent)

    async def _write_once(self, sent: Sequence[Sent]) -> None:
        stopped = {message.address for message, raw in sent if raw.kind is OutcomeKind.STOPPED}
        async with self._engine.begin() as connection:
            now = self._clock()
            outcomes = [self._outcome(m, raw) for m, raw in sent]
            await outbox.record(connection, outcomes, now, self._worker)
            for address in stopped:
                # The provider says this person is unreachable for good (Twilio 21610,
                # Telegram 403): that is an opt-out, and their queued bulk must not follow.
                await consent.record(
                    connection, address, ConsentAction.OPT_OUT, ConsentSource.PROVIDER, now
                )
                await outbox.suppress_pending(connection, address)

    async def _send_in_order(self, messages: Sequence[OutboundMessage]) -> list[Sent]:
        return [(message, await self._send(message)) for message in messages]

    async def _send(self, message: OutboundMessage) -> SendOutcome:
        channel = message.address.channel
        held = self._hold_left(message.address)
        if held > HOLD_IN_BATCH_SECONDS:
            return SendOutcome(
                OutcomeKind.DEFERRED,
                error="held back: the provider asked to wait",
                retry_after=held,
            )
        if not self._loop_guard.allow(message.address, message.text, message.kind):
            return SendOutcome(OutcomeKind.REFUSED, error="loop protection: same text too often")
        throttle = self._throttles.get(channel)
        slot = (
            throttle.limiter.slot(
                message.address.id, throttle.cost(message), outbox.PRIORITY_OF_KIND[message.kind]
            )
            if throttle is not None
            else contextlib.nullcontext()
        )
        async with slot:
            if not self._may_send(channel):
                # The successor requeued it when it took over; leave it to that process.
                return SendOutcome(OutcomeKind.DEFERRED, error="not sent: the sender lease lapsed")
            started = time.perf_counter()
            try:
                outcome = await self._channels[channel].send(message)
            except Exception as error:  # a channel bug must not lose the rest of the batch
                log.exception("channel %s raised on message %s", channel, message.id)
                outcome = SendOutcome(OutcomeKind.RETRY, error=f"internal error: {error!r}"[:200])
            elapsed = time.perf_counter() - started
        log.info(
            "out %s #%d %s %s %.0f ms%s",
            describe(message.address),
            message.id,
            message.kind.value,
            outcome.kind.value,
            elapsed * 1000,
            f" ({outcome.error})" if outcome.error else "",
        )
        if outcome.retry_after:
            self._hold(message.address, outcome.retry_after)
            if throttle is not None:
                throttle.limiter.hold(message.address.id, outcome.retry_after)
        if self._metrics is not None:
            self._metrics.send_seconds.labels(channel.value).observe(elapsed)
            self._metrics.messages_out.labels(
                channel.value, message.locale, message.kind.value, outcome.kind.value
            ).inc()
        return outcome

    def _hold(self, address: Address, seconds: float) -> None:
        now = self._clock()
        self._holds += 1
        if self._holds % _PRUNE_HELD_EVERY == 0:
            self._held = {a: until for a, until in self._held.items() if until > now}
        until = now + timedelta(seconds=seconds)
        self._held[address] = max(until, self._held.get(address, until))

    def _hold_left(self, address: Address) -> float:
        """Seconds until `address` may be sent to again, on the clock its retries are due by."""
        until = self._held.get(address)
        if until is None:
            return 0.0
        left = (until - self._clock()).total_seconds()
        if left <= 0:
            del self._held[address]
        return left

    def _outcome(self, message: OutboundMessage, outcome: SendOutcome) -> outbox.Outcome:
        if outcome.kind is OutcomeKind.DEFERRED:
            return outbox.Outcome(
                message.id,
                Status.QUEUED,
                error=outcome.error,
                retry_at=self._clock() + timedelta(seconds=outcome.retry_after or 0.0),
                attempted=False,
            )
        if outcome.kind is OutcomeKind.RETRY and message.attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after or BASE_BACKOFF_SECONDS * 2**message.attempts
            retry_at = self._clock() + timedelta(seconds=delay)
            return outbox.Outcome(message.id, Status.QUEUED, error=outcome.error, retry_at=retry_at)
        if outcome.kind is OutcomeKind.SENT:
            return outbox.Outcome(message.id, Status.SENT, provider_id=outcome.provider_id)
        if outcome.kind is OutcomeKind.REFUSED:
            return outbox.Outcome(message.id, Status.REFUSED, error=outcome.error)
        return outbox.Outcome(message.id, Status.FAILED, outcome.provider_id, outcome.error)
