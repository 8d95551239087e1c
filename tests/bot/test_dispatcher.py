"""The queued path of the outbox (reminders, notices, broadcasts): claim, consent, retry."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from bot.channels.base import OutcomeKind, SendOutcome
from bot.messages import Address, ChannelName, OutboundKind, OutboundMessage, Priority
from bot.outbox import Status
from bot.runtime import Runtime
from bot.store import consent
from bot.store.consent import ConsentAction, ConsentSource
from bot.store.tables import outbox
from tests.support.chat import FrozenClock, RecordingChannel


async def queue(
    runtime: Runtime, address: str, kind: OutboundKind, priority: int, body: str
) -> int:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        result = await connection.execute(
            outbox.insert().returning(outbox.c.id),
            {
                "channel": ChannelName.CONSOLE.value,
                "address": address,
                "kind": kind.value,
                "priority": priority,
                "locale": "en",
                "body": body,
                "buttons": [],
                "status": Status.QUEUED.value,
                "send_after": now,
                "attempts": 0,
                "created_at": now,
            },
        )
        return int(result.scalar_one())


async def status_of(runtime: Runtime, message_id: int) -> tuple[str, int, str | None]:
    async with runtime.engine.connect() as connection:
        row = (
            await connection.execute(
                select(outbox.c.status, outbox.c.attempts, outbox.c.last_error).where(
                    outbox.c.id == message_id
                )
            )
        ).one()
    return row.status, row.attempts, row.last_error


async def test_replies_and_notices_go_before_bulk(
    runtime: Runtime, recorder: RecordingChannel
) -> None:
    bulk = await queue(runtime, "a", OutboundKind.BROADCAST, Priority.BULK, "news")
    notice = await queue(runtime, "b", OutboundKind.NOTICE, Priority.NOTICE, "rescheduled")
    handled = await runtime.dispatcher({ChannelName.CONSOLE: recorder}).drain(ChannelName.CONSOLE)
    assert handled == 2
    assert [m.id for m in recorder.sent] == [notice, bulk]
    assert (await status_of(runtime, bulk))[0] == Status.SENT


async def test_consent_is_checked_when_sending_not_only_when_queueing(
    runtime: Runtime, recorder: RecordingChannel
) -> None:
    queued = await queue(runtime, "parent-9", OutboundKind.BROADCAST, Priority.BULK, "news")
    async with runtime.engine.begin() as connection:
        await consent.record(
            connection,
            Address(ChannelName.CONSOLE, "parent-9"),
            ConsentAction.OPT_OUT,
            ConsentSource.PROVIDER,
            runtime.clock(),
        )
    await runtime.dispatcher({ChannelName.CONSOLE: recorder}).drain(ChannelName.CONSOLE)
    assert recorder.sent == []
    assert (await status_of(runtime, queued))[0] == Status.SUPPRESSED


@dataclass
class FlakyChannel:
    """Answers "try again" a given number of times, then accepts."""

    failures: int
    name: ChannelName = ChannelName.CONSOLE
    attempts: list[int] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        self.attempts.append(message.attempts)
        if len(self.attempts) <= self.failures:
            return SendOutcome(OutcomeKind.RETRY, error="429 too many requests", retry_after=7)
        return SendOutcome(OutcomeKind.SENT, provider_id="ok")


async def test_a_retryable_failure_waits_as_long_as_the_provider_asked(
    runtime: Runtime, clock: FrozenClock
) -> None:
    queued = await queue(runtime, "a", OutboundKind.BROADCAST, Priority.BULK, "news")
    channel = FlakyChannel(failures=1)
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: channel})
    await dispatcher.drain(ChannelName.CONSOLE)
    assert await status_of(runtime, queued) == (Status.QUEUED, 1, "429 too many requests")
    clock.now += timedelta(seconds=6)
    assert await dispatcher.drain(ChannelName.CONSOLE) == 0
    clock.now += timedelta(seconds=1)
    assert await dispatcher.drain(ChannelName.CONSOLE) == 1
    assert await status_of(runtime, queued) == (Status.SENT, 2, None)
    assert channel.attempts == [1, 2]


@dataclass
class RefusingChannel:
    name: ChannelName = ChannelName.CONSOLE

    async def send(self, message: OutboundMessage) -> SendOutcome:
        return SendOutcome(OutcomeKind.FAILED, error="21211 invalid 'To' number")


async def test_a_permanent_failure_is_recorded_and_not_retried(runtime: Runtime) -> None:
    queued = await queue(runtime, "a", OutboundKind.BROADCAST, Priority.BULK, "news")
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: RefusingChannel()})
    await dispatcher.drain(ChannelName.CONSOLE)
    assert await status_of(runtime, queued) == (Status.FAILED, 1, "21211 invalid 'To' number")
    assert await dispatcher.drain(ChannelName.CONSOLE) == 0


async def test_a_batch_larger_than_one_claim_is_drained_whole(
    runtime: Runtime, recorder: RecordingChannel
) -> None:
    for number in range(7):
        await queue(runtime, f"p{number}", OutboundKind.BROADCAST, Priority.BULK, "news")
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: recorder})
    assert await dispatcher.drain(ChannelName.CONSOLE, batch=3) == 7
    assert len({m.address for m in recorder.sent}) == 7


@dataclass
class StoppedChannel:
    """The provider says this person blocked us (Telegram 403) or texted STOP (21610)."""

    name: ChannelName = ChannelName.CONSOLE
    calls: int = 0

    async def send(self, message: OutboundMessage) -> SendOutcome:
        self.calls += 1
        return SendOutcome(OutcomeKind.STOPPED, error="403 bot was blocked by the user")


async def test_a_stopped_recipient_is_opted_out_and_their_queued_bulk_dropped(
    runtime: Runtime,
) -> None:
    first = await queue(runtime, "p1", OutboundKind.NOTICE, Priority.NOTICE, "moved")
    later = await queue(runtime, "p1", OutboundKind.BROADCAST, Priority.BULK, "news")
    other = await queue(runtime, "p2", OutboundKind.BROADCAST, Priority.BULK, "news")
    channel = StoppedChannel()
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: channel})
    await dispatcher.drain(ChannelName.CONSOLE, batch=1)
    assert (await status_of(runtime, first))[0] == Status.FAILED
    assert (await status_of(runtime, later))[0] == Status.SUPPRESSED
    assert (await status_of(runtime, other))[0] == Status.FAILED  # p2 was stopped too
    async with runtime.engine.connect() as connection:
        history = await consent.history(connection, Address(ChannelName.CONSOLE, "p1"))
    assert [(a, s) for a, s, _ in history] == [("opt_out", "provider")]
    assert channel.calls == 2


@dataclass
class CrashingChannel:
    name: ChannelName = ChannelName.CONSOLE

    async def send(self, message: OutboundMessage) -> SendOutcome:
        raise RuntimeError("a bug in a channel")


async def test_a_channel_that_raises_costs_a_retry_not_the_batch(runtime: Runtime) -> None:
    queued = await queue(runtime, "a", OutboundKind.BROADCAST, Priority.BULK, "news")
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: CrashingChannel()})
    await dispatcher.drain(ChannelName.CONSOLE)
    status, attempts, error = await status_of(runtime, queued)
    assert (status, attempts) == (Status.QUEUED, 1)
    assert error is not None and "a bug in a channel" in error


@dataclass
class SlowChannel:
    """Takes 50 ms per message and notes the order each person got theirs."""

    name: ChannelName = ChannelName.CONSOLE
    order: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        await asyncio.sleep(0.05)
        self.order.append((message.address.id, message.text))
        return SendOutcome(OutcomeKind.SENT, provider_id=str(message.id))


async def test_people_are_served_concurrently_each_in_order(runtime: Runtime) -> None:
    for person in ("a", "b", "c", "d"):
        for n in range(3):
            await queue(runtime, person, OutboundKind.BROADCAST, Priority.BULK, f"{person}{n}")
    channel = SlowChannel()
    dispatcher = runtime.dispatcher({ChannelName.CONSOLE: channel})
    started = time.monotonic()
    assert await dispatcher.drain(ChannelName.CONSOLE) == 12
    assert time.monotonic() - started < 0.4  # 12 × 50 ms one after another would be 0.6 s
    for person in ("a", "b", "c", "d"):
        mine = [text for who, text in channel.order if who == person]
        assert mine == [f"{person}0", f"{person}1", f"{person}2"]
