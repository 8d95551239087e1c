"""Provider faults on the outbox's queued path, through the real clients against the fakes.

Telegram (PTB over the bot's aiohttp transport) and Twilio (the twilio package over the
bot's HTTP client) meet connection resets, time-outs, 5xx bursts and 429s; what is
checked is what reached the fake and what the outbox recorded. bench/provider_faults.py
runs the same faults by schedule through a whole broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.channels.base import Channel, OutcomeKind, SendOutcome
from bot.channels.sms import SmsChannel, open_sms_channel
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_http import AiohttpRequest
from bot.config import Settings
from bot.dispatcher import MAX_ATTEMPTS, Dispatcher
from bot.messages import ChannelName, OutboundKind, OutboundMessage, Priority
from bot.outbox import Status
from bot.ratelimit import Rate, RateLimiter, Throttle
from bot.runtime import Runtime
from bot.store.tables import outbox
from tests.support.chat import FrozenClock
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio

TOKEN = "123456:AAH-faults-token"
# Short, so that a time-out costs the test half a second; the fakes stall for longer.
CLIENT_TIMEOUT = 0.5
STALL = 5.0
# Longer than any test: a message waiting it out would show as a drain that never ends.
LONG_HOLD = 3600
DRAIN_GUARD_SECONDS = 5.0

_numbers = itertools.count(1)


@dataclass
class Provider:
    """One fake provider as these tests drive it, whatever its API looks like."""

    channel: ChannelName
    new_address: Callable[[], str]
    reset: Callable[[str], None]
    stall: Callable[[str, float], None]
    fail_5xx: Callable[[str], None]  # the next two messages: 500, then 502 or 503
    hold: Callable[[str, int], None]  # a 429 with this retry_after, once
    sent_to: Callable[[str], int]


@pytest.fixture(scope="module")
async def telegram_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
async def twilio_fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
async def telegram_channel(telegram_fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    # As `make_bot` builds it, with a time-out a test can afford.
    bot = Bot(
        TOKEN,
        base_url=f"{telegram_fake.base_url}/bot",
        request=AiohttpRequest(connections=8, timeout=CLIENT_TIMEOUT),
    )
    await bot.initialize()
    try:
        yield TelegramChannel(bot)
    finally:
        await bot.shutdown()


@pytest.fixture(scope="module")
async def sms_channel(twilio_fake: FakeTwilio) -> AsyncIterator[SmsChannel]:
    settings = Settings(
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_from_number="+15550001111",
        twilio_api_base_url=twilio_fake.base_url,
    )
    async with await open_sms_channel(settings, request_timeout=CLIENT_TIMEOUT) as channel:
        yield channel


def telegram_provider(fake: FakeTelegram) -> Provider:
    def fail_5xx(chat: str) -> None:
        fake.fail_chat(int(chat), 500, "Internal Server Error")
        fake.fail_chat(int(chat), 502, "Bad Gateway")

    return Provider(
        channel=ChannelName.TELEGRAM,
        new_address=lambda: str(7_000 + next(_numbers)),
        reset=lambda chat: fake.reset_chat(int(chat)),
        stall=lambda chat, seconds: fake.stall_chat(int(chat), seconds),
        fail_5xx=fail_5xx,
        hold=lambda chat, seconds: fake.fail_chat(
            int(chat), 429, f"Too Many Requests: retry after {seconds}", retry_after=seconds
        ),
        sent_to=lambda chat: sum(1 for m in fake.sent if m["chat_id"] == int(chat)),
    )


def twilio_provider(fake: FakeTwilio) -> Provider:
    def fail_5xx(number: str) -> None:
        fake.fail_number(number, 500, 20500, "Internal Server Error")
        fake.fail_number(number, 503, 20503, "Service Unavailable")

    return Provider(
        channel=ChannelName.SMS,
        new_address=lambda: f"+1555200{next(_numbers):04d}",
        reset=lambda number: fake.reset_number(number),
        stall=lambda number, seconds: fake.stall_number(number, seconds),
        fail_5xx=fail_5xx,
        hold=lambda number, seconds: fake.fail_number(
            number, 429, 20429, "Too Many Requests", retry_after=seconds
        ),
        sent_to=lambda number: sum(1 for form in fake.sent if form["To"] == number),
    )


@pytest.fixture(params=[ChannelName.TELEGRAM, ChannelName.SMS], ids=["telegram", "sms"])
def provider(
    request: pytest.FixtureRequest, telegram_fake: FakeTelegram, twilio_fake: FakeTwilio
) -> Provider:
    if request.param is ChannelName.TELEGRAM:
        return telegram_provider(telegram_fake)
    return twilio_provider(twilio_fake)


@pytest.fixture
def dispatcher(
    runtime: Runtime, telegram_channel: TelegramChannel, sms_channel: SmsChannel
) -> Dispatcher:
    channels: dict[ChannelName, Channel] = {
        ChannelName.TELEGRAM: telegram_channel,
        ChannelName.SMS: sms_channel,
    }
    # The throttles of `serve`, with limits no test reaches: per-chat holds live there too.
    throttles = {
        ChannelName.TELEGRAM: Throttle(RateLimiter(Rate(1000), Rate(1000, burst=3))),
        ChannelName.SMS: Throttle(RateLimiter(Rate(1000))),
    }
    return runtime.dispatcher(channels, throttles)


async def queue(
    runtime: Runtime, channel: ChannelName, address: str, texts: list[str]
) -> list[int]:
    now = runtime.clock()
    async with runtime.engine.begin() as connection:
        result = await connection.execute(
            outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True),
            [
                {
                    "channel": channel.value,
                    "address": address,
                    "kind": OutboundKind.BROADCAST.value,
                    "priority": Priority.BULK,
                    "locale": "en",
                    "body": text,
                    "buttons": [],
                    "status": Status.QUEUED.value,
                    "send_after": now,
                    "attempts": 0,
                    "created_at": now,
                }
                for text in texts
            ],
        )
        return list(result.scalars())


@dataclass(frozen=True)
class Row:
    status: str
    attempts: int
    error: str | None
    wait: timedelta  # send_after minus the clock's now


async def rows(runtime: Runtime, ids: list[int]) -> list[Row]:
    async with runtime.engine.connect() as connection:
        found = await connection.execute(
            select(outbox.c.status, outbox.c.attempts, outbox.c.last_error, outbox.c.send_after)
            .where(outbox.c.id.in_(ids))
            .order_by(outbox.c.id)
        )
        now = runtime.clock()
        return [Row(r.status, r.attempts, r.last_error, r.send_after - now) for r in found]


async def drain(dispatcher: Dispatcher, provider: Provider) -> int:
    # A guard, not a measure: a message left waiting out a hold would take an hour.
    return await asyncio.wait_for(dispatcher.drain(provider.channel), DRAIN_GUARD_SECONDS)


async def drain_until_settled(
    dispatcher: Dispatcher, provider: Provider, clock: FrozenClock
) -> None:
    """Drain, letting every backoff run out, until nothing is left to send."""
    for _ in range(MAX_ATTEMPTS + 1):
        await drain(dispatcher, provider)
        clock.now += timedelta(minutes=5)


async def test_a_reset_connection_is_retried_and_delivered_once(
    runtime: Runtime, dispatcher: Dispatcher, provider: Provider, clock: FrozenClock
) -> None:
    address = provider.new_address()
    ids = await queue(runtime, provider.channel, address, ["Family night Thursday"])
    provider.reset(address)

    await drain(dispatcher, provider)
    [row] = await rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert row.error is not None and "reset" in row.error.lower()
    assert provider.sent_to(address) == 0

    await drain_until_settled(dispatcher, provider, clock)
    assert [(r.status, r.attempts) for r in await rows(runtime, ids)] == [(Status.SENT, 2)]
    assert provider.sent_to(address) == 1


async def test_a_time_out_is_retried_though_the_first_try_may_have_arrived(
    runtime: Runtime, dispatcher: Dispatcher, provider: Provider, clock: FrozenClock
) -> None:
    address = provider.new_address()
    ids = await queue(runtime, provider.channel, address, ["Family night Thursday"])
    provider.stall(address, STALL)

    await drain(dispatcher, provider)
    [row] = await rows(runtime, ids)
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert row.error is not None and "time" in row.error.lower()

    await drain_until_settled(dispatcher, provider, clock)
    assert [(r.status, r.attempts) for r in await rows(runtime, ids)] == [(Status.SENT, 2)]
    # The stalled request was accepted before its answer was lost: the retry is the one
    # duplicate a time-out can make, and the reason it is counted as an attempt.
    assert provider.sent_to(address) == 2


async def test_a_burst_of_server_errors_then_success_delivers_everything_once(
    runtime: Runtime, dispatcher: Dispatcher, provider: Provider, clock: FrozenClock
) -> None:
    addresses = [provider.new_address() for _ in range(6)]
    ids = [i for a in addresses for i in await queue(runtime, provider.channel, a, [f"Hello {a}"])]
    for address in addresses[::2]:
        provider.fail_5xx(address)

    await drain_until_settled(dispatcher, provider, clock)

    attempts = [r.attempts for r in await rows(runtime, ids) if r.status == Status.SENT]
    assert attempts == [3, 1, 3, 1, 3, 1]
    assert [provider.sent_to(a) for a in addresses] == [1] * 6


async def test_a_429_on_one_chat_does_not_hold_up_anyone_else(
    runtime: Runtime, dispatcher: Dispatcher, provider: Provider
) -> None:
    held, other = provider.new_address(), provider.new_address()
    held_ids = await queue(runtime, provider.channel, held, ["first", "second"])
    other_ids = await queue(runtime, provider.channel, other, ["first", "second"])
    provider.hold(held, LONG_HOLD)

    await drain(dispatcher, provider)

    assert [r.status for r in await rows(runtime, other_ids)] == [Status.SENT, Status.SENT]
    assert provider.sent_to(other) == 2
    first, second = await rows(runtime, held_ids)
    # The refused message is retried when the provider said; the next one is given back
    # to the queue until then, without an attempt, instead of waiting in the batch.
    assert (first.status, first.attempts, first.wait) == (
        Status.QUEUED,
        1,
        timedelta(seconds=LONG_HOLD),
    )
    assert (second.status, second.attempts) == (Status.QUEUED, 0)
    assert timedelta(seconds=LONG_HOLD - 1) < second.wait <= timedelta(seconds=LONG_HOLD)
    assert provider.sent_to(held) == 0


@dataclass
class OneStuckChannel:
    """Sends at once, except to `stuck`: that send hangs until everyone else has theirs (a
    provider holding one request until the client's time-out), then times out."""

    stuck: str
    others: int
    name: ChannelName = ChannelName.CONSOLE
    order: list[str] = field(default_factory=list)
    everyone_else_done: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        if message.address.id == self.stuck:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.everyone_else_done.wait(), DRAIN_GUARD_SECONDS)
            self.order.append(message.address.id)
            return SendOutcome(OutcomeKind.RETRY, error="TimedOut: Timed out")
        self.order.append(message.address.id)
        if len(self.order) == self.others:
            self.everyone_else_done.set()
        return SendOutcome(OutcomeKind.SENT, provider_id=f"p-{message.id}")


async def test_a_send_that_hangs_holds_up_nobody_else(runtime: Runtime) -> None:
    """Claims go on around a stuck send: the rest of a broadcast does not wait for it."""
    others = [f"parent-{n}" for n in range(20)]
    channel = OneStuckChannel("stuck", len(others))
    await queue(runtime, channel.name, "stuck", ["Family night Thursday"])
    for address in others:
        await queue(runtime, channel.name, address, ["Family night Thursday"])
    dispatcher = runtime.dispatcher({channel.name: channel})

    await dispatcher.drain(channel.name, batch=5)

    assert channel.order == [*others, "stuck"]
