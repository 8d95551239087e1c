"""Where every inbound message from a real channel lands, whatever the webhook or poller.

A turn is committed (the message, the state, the replies in the outbox) before the
provider hears back from us, so once Twilio or Telegram gets its 200 nothing can be lost;
the replies then leave in the background, so the provider is never kept waiting on
another provider. Shutdown waits for those sends to finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.conversation import Conversation
from bot.dispatcher import Dispatcher
from bot.messages import ChannelName, InboundMessage
from bot.metrics import Metrics
from bot.redact import describe

log = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        conversation: Conversation,
        dispatcher: Dispatcher,
        metrics: Metrics,
        sends: Callable[[ChannelName], bool],
    ) -> None:
        self._conversation = conversation
        self._dispatcher = dispatcher
        self._metrics = metrics
        # Whether this process is the one sending on a channel (it holds the lease):
        # only then are replies sent from here; otherwise the holder sends them.
        self._sends = sends
        self._sending: set[asyncio.Task[None]] = set()

    async def receive(self, message: InboundMessage) -> None:
        claim = self._sends(message.address.channel)
        outgoing = await self._conversation.handle(message, claim=claim)
        language = outgoing[0].locale if outgoing else "none"
        self._metrics.messages_in.labels(message.address.channel.value, language).inc()
        log.info(
            "in %s %s %d chars, %d replies",
            describe(message.address),
            language,
            len(message.text),
            len(outgoing),
        )
        if outgoing:
            self.spawn(self._dispatcher.deliver(outgoing), "deliver")

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run `work` in the background, counted and logged if it fails, awaited at close."""
        task = asyncio.create_task(self._guarded(work, what))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception:
            # The replies stay in the outbox as sending; they are not lost, only late.
            log.exception("background %s failed", what)
            self._metrics.errors.labels(what).inc()

    async def close(self) -> None:
        """Let in-flight sends finish (graceful shutdown), then return."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
