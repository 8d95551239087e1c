"""The long-lived parts of a running server, built once and closed once.

Channels exist only for the providers that are configured: a volunteer with nothing but
a bot token gets Telegram, an SMS-only deployment gets Twilio. Every channel gets its
rate limit here (design rule 5).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

from telegram import Bot

from bot.channels.base import Channel
from bot.channels.sms import SmsChannel, open_sms_channel, segments_of
from bot.channels.telegram import TelegramChannel, make_bot
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.messages import ChannelName, OutboundMessage
from bot.metrics import Metrics
from bot.pump import OutboxPump
from bot.ratelimit import Rate, RateLimiter, Throttle
from bot.runtime import Runtime
from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

# A turn's two or three replies may leave together, as they do in Telegram's own clients;
# beyond that a chat gets TELEGRAM_CHAT_MESSAGES_PER_SECOND.
TELEGRAM_CHAT_BURST = 3.0


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    metrics: Metrics
    dispatcher: Dispatcher
    inbox: Inbox
    pump: OutboxPump
    scheduler: Scheduler
    bot: Bot | None = None
    sms: SmsChannel | None = None
    telegram_secret: str | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def webhook_secret(settings: Settings) -> str | None:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the token so a volunteer need not invent one.

    Telegram sends it back on every webhook call; only Telegram and this server know it.
    """
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    if not settings.telegram_bot_token:
        return None
    return hashlib.sha256(f"webhook:{settings.telegram_bot_token}".encode()).hexdigest()


def _throttles(settings: Settings) -> dict[ChannelName, Throttle]:
    overall = settings.telegram_messages_per_second
    per_chat = Rate(settings.telegram_chat_messages_per_second, burst=TELEGRAM_CHAT_BURST)
    sms_rate = settings.twilio_messages_per_second
    accents = settings.sms_accents

    def sms_cost(message: OutboundMessage) -> float:
        return float(segments_of(message, accents))

    return {
        # Evenly spaced, no burst: providers count messages in sliding one-second windows,
        # where a burst at the start plus a second's worth of refill would be twice the
        # limit and draw 429s.
        ChannelName.TELEGRAM: Throttle(RateLimiter(Rate(overall), per_chat, window=True)),
        ChannelName.SMS: Throttle(RateLimiter(Rate(sms_rate)), sms_cost),
    }


@contextlib.asynccontextmanager
async def open_services(settings: Settings, runtime: Runtime) -> AsyncIterator[Services]:
    """Channels, dispatcher, inbox and pump around an open runtime; closes what it opened."""
    metrics = Metrics()
    channels: dict[ChannelName, Channel] = {}
    bot = make_bot(settings) if settings.telegram_bot_token else None
    if bot is not None:
        channels[ChannelName.TELEGRAM] = TelegramChannel(bot)
    sms = None
    if settings.twilio_account_sid or settings.twilio_auth_token:
        sms = await open_sms_channel(settings)
        channels[ChannelName.SMS] = sms
    dispatcher = runtime.dispatcher(channels, _throttles(settings), metrics)
    lease = timedelta(seconds=settings.sender_lease_seconds)
    pump = OutboxPump(runtime.engine, dispatcher, metrics, runtime.clock, lease=lease)
    services = Services(
        settings=settings,
        runtime=runtime,
        metrics=metrics,
        dispatcher=dispatcher,
        inbox=Inbox(runtime.conversation, dispatcher, metrics, pump.holds),
        pump=pump,
        scheduler=Scheduler(
            runtime.engine, runtime.i18n, settings, runtime.clock, on_queued=pump.wake.set
        ),
        bot=bot,
        sms=sms,
        telegram_secret=webhook_secret(settings),
    )
    try:
        yield services
    finally:
        services.stop.set()
        await services.inbox.close()
        if sms is not None:
            await sms.close()
        if bot is not None:
            await bot.shutdown()
