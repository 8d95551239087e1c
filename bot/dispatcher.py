"""Drains the outbox: claim, check consent, send, record what happened."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import outbox
from bot.channels.base import Channel, OutcomeKind
from bot.messages import ChannelName, OutboundMessage
from bot.outbox import Status

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 2.0


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        channels: Mapping[ChannelName, Channel],
        worker: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._channels = channels
        self._worker = worker
        self._clock = clock

    async def drain(self, channel: ChannelName, batch: int = 50) -> int:
        """Send every due message of `channel`; returns how many were handled.

        Per batch: one transaction claims and suppresses, the sends run, one transaction
        records every outcome. A crash between the two leaves the batch marked as
        sending, which bounds what a restart may send twice to one batch.
        """
        handled = 0
        sender = self._channels[channel]
        while True:
            async with self._engine.begin() as connection:
                now = self._clock()
                claimed = await outbox.claim(connection, channel, self._worker, now, batch)
                stopped = await outbox.opted_out_among(connection, claimed)
                suppressed = [
                    outbox.Outcome(m.id, Status.SUPPRESSED)
                    for m in claimed
                    if m.address in stopped and m.kind not in outbox.CONSENT_EXEMPT
                ]
                if suppressed:
                    await outbox.record(connection, suppressed, now)
            skip = {o.message_id for o in suppressed}
            outcomes = [
                await self._send(sender, message) for message in claimed if message.id not in skip
            ]
            if outcomes:
                async with self._engine.begin() as connection:
                    await outbox.record(connection, outcomes, self._clock())
            handled += len(claimed)
            if len(claimed) < batch:
                return handled

    async def deliver(self, messages: Sequence[OutboundMessage]) -> None:
        """Send messages already claimed (a turn's replies) and record the outcomes."""
        if not messages:
            return
        outcomes = [await self._send(self._channels[m.address.channel], m) for m in messages]
        async with self._engine.begin() as connection:
            await outbox.record(connection, outcomes, self._clock())

    async def _send(self, sender: Channel, message: OutboundMessage) -> outbox.Outcome:
        outcome = await sender.send(message)
        if outcome.kind is OutcomeKind.RETRY and message.attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after or BASE_BACKOFF_SECONDS * 2**message.attempts
            retry_at = self._clock() + timedelta(seconds=delay)
            return outbox.Outcome(message.id, Status.QUEUED, error=outcome.error, retry_at=retry_at)
        if outcome.kind is OutcomeKind.SENT:
            return outbox.Outcome(message.id, Status.SENT, provider_id=outcome.provider_id)
        log.warning("send failed: message %s: %s", message.id, outcome.error)
        return outbox.Outcome(message.id, Status.FAILED, outcome.provider_id, outcome.error)
