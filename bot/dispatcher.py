"""Drains the outbox: claim, check consent, send, record what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.channels.base import Channel, OutcomeKind
from bot.messages import ChannelName, OutboundKind
from bot.outbox import Status

log = logging.getLogger(__name__)

# Confirmations of STOP/START and answers to HELP reach even an opted-out address:
# carriers expect them and they are what the person just asked for.
CONSENT_EXEMPT = frozenset({OutboundKind.CONSENT})
MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        channels: Mapping[ChannelName, Channel],
        worker: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._channels = channels
        self._worker = worker
        self._clock = clock

    async def drain(self, channel: ChannelName, batch: int = 50) -> int:
        """Send every due message of `channel`; returns how many were handled."""
        handled = 0
        while True:
            async with self._engine.begin() as connection:
                now = self._clock()
                claimed = await outbox.claim(connection, channel, self._worker, now, batch)
                stopped = await outbox.opted_out_among(connection, claimed)
                for message in claimed:
                    if message.address in stopped and message.kind not in CONSENT_EXEMPT:
                        await outbox.finish(connection, message.id, Status.SUPPRESSED, now)
            if not claimed:
                return handled
            sender = self._channels[channel]
            for message in claimed:
                if message.address in stopped and message.kind not in CONSENT_EXEMPT:
                    continue
                outcome = await sender.send(message)
                async with self._engine.begin() as connection:
                    now = self._clock()
                    if outcome.kind is OutcomeKind.RETRY and message.attempts < MAX_ATTEMPTS:
                        delay = outcome.retry_after or BASE_BACKOFF_SECONDS * 2**message.attempts
                        await outbox.retry_later(
                            connection, message.id, now + timedelta(seconds=delay), outcome.error
                        )
                        continue
                    status = Status.SENT if outcome.kind is OutcomeKind.SENT else Status.FAILED
                    await outbox.finish(
                        connection,
                        message.id,
                        status,
                        now,
                        provider_id=outcome.provider_id,
                        error=outcome.error,
                    )
                if status is Status.FAILED:
                    log.warning("send failed: message %s: %s", message.id, outcome.error)
            handled += len(claimed)
