"""Drains the outbox: claim, check consent, throttle, send, record what happened."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

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

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MIN_BATCH = 5
MAX_BATCH = 200
BATCH_SECONDS = 0.5
BASE_BACKOFF_SECONDS = 2.0


Sent = tuple[OutboundMessage, SendOutcome]


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

        A batch is claimed at once, so it bounds what a crash can leave claimed but not
        recorded (and a restart then sends again): small at 30 messages a second, large
        enough to amortise the claim when the limit is lifted.
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

        Per batch: one transaction claims and suppresses, then the sends run and their
        outcomes are recorded as they come. A crash leaves what was claimed and not yet
        recorded marked as sending, which bounds what a restart may send twice to less
        than one batch. `keep_going` is asked before each batch (the pump's lease: stop
        when another process sends).
        """
        size = batch or self.batch_size(channel)
        handled = 0
        while keep_going is None or await keep_going():
            async with self._engine.begin() as connection:
                now = self._clock()
                claimed = await outbox.claim(connection, channel, self._worker, now, size)
                stopped = await outbox.opted_out_among(connection, claimed)
                suppressed = [
                    outbox.Outcome(m.id, Status.SUPPRESSED)
                    for m in claimed
                    if m.address in stopped and m.kind not in outbox.CONSENT_EXEMPT
                ]
                if suppressed:
                    await outbox.record(connection, suppressed, now, self._worker)
            skip = {o.message_id for o in suppressed}
            await self.deliver([m for m in claimed if m.id not in skip])
            handled += len(claimed)
            if len(claimed) < size:
                break
        return handled

    async def deliver(self, messages: Sequence[OutboundMessage]) -> None:
        """Send claimed messages and record the outcomes.

        Different people are served concurrently (the throttles keep the pace); one
        person's messages go one after another, so a turn's replies arrive in order.
        Each person's outcomes are recorded as soon as they are known (group commit
        merges the writes), so a crash can repeat only what was really in flight, not
        the whole batch.
        """
        if not messages:
            return
        by_address: dict[Address, list[OutboundMessage]] = {}
        for message in messages:
            by_address.setdefault(message.address, []).append(message)
        await asyncio.gather(*(self._send_and_record(q) for q in by_address.values()))

    async def _send_and_record(self, messages: Sequence[OutboundMessage]) -> None:
        await self._recorder.record(await self._send_in_order(messages))

    async def _write(self, sent: Sequence[Sent]) -> None:
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
        if not self._loop_guard.allow(message.address, message.text, message.kind):
            return SendOutcome(OutcomeKind.REFUSED, error="loop protection: same text too often")
        throttle = self._throttles.get(channel)
        slot = (
            throttle.limiter.slot(message.address.id, throttle.cost(message))
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
        if throttle is not None and outcome.retry_after:
            throttle.limiter.hold(message.address.id, outcome.retry_after)
        if self._metrics is not None:
            self._metrics.send_seconds.labels(channel.value).observe(elapsed)
            self._metrics.messages_out.labels(
                channel.value, message.locale, message.kind.value, outcome.kind.value
            ).inc()
        return outcome

    def _outcome(self, message: OutboundMessage, outcome: SendOutcome) -> outbox.Outcome:
        if outcome.kind is OutcomeKind.DEFERRED:
            return outbox.Outcome(
                message.id,
                Status.QUEUED,
                error=outcome.error,
                retry_at=self._clock(),
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
