"""The one seam between the bot and a messaging provider.

Modelled on courier's channel handlers: a channel turns an outbox message into a
provider call and reports a `SendOutcome` that says whether trying again can help, so
the dispatcher's retry policy never has to know a provider's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.messages import ChannelName, OutboundMessage


class OutcomeKind(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # 429, 5xx, time-outs: the same message may succeed later
    FAILED = "failed"  # the provider refused this message for good
    STOPPED = "stopped"  # the person blocked the bot or opted out at the provider
    REFUSED = "refused"  # never handed to the provider: loop protection stopped it
    DEFERRED = "deferred"  # never handed to the provider: not this process's turn to send


@dataclass(frozen=True)
class SendOutcome:
    kind: OutcomeKind
    provider_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


class Channel(Protocol):
    name: ChannelName

    async def send(self, message: OutboundMessage) -> SendOutcome: ...
