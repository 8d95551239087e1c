"""Talk to the bot in tests exactly as `main.py chat` does: conversation, outbox, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.channels.base import OutcomeKind, SendOutcome
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.runtime import Runtime


class FrozenClock:
    """A clock tests can move; the runtime calls it wherever it needs "now"."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RecordingChannel:
    name: ChannelName = ChannelName.CONSOLE
    sent: list[OutboundMessage] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        self.sent.append(message)
        return SendOutcome(OutcomeKind.SENT, provider_id=f"rec-{message.id}")


class Chat:
    def __init__(self, runtime: Runtime, channel: RecordingChannel, contact: str) -> None:
        self.runtime = runtime
        self.channel = channel
        """On the recorder's channel: the terminal by default, SMS or Telegram when given."""
        self.address = Address(channel.name, contact)
        self.dispatcher = runtime.dispatcher({channel.name: channel})

    async def say(
        self, text: str, *, external_id: str | None = None, language_hint: str | None = None
    ) -> list[OutboundMessage]:
        """Send one message; return what reached this contact because of it."""
        before = len(self.channel.sent)
        message = InboundMessage(
            self.address,
            text,
            self.runtime.clock(),
            external_id=external_id,
            language_hint=language_hint,
        )
        outgoing = await self.runtime.conversation.handle(message)
        await self.dispatcher.deliver(outgoing)
        return [m for m in self.channel.sent[before:] if m.address == self.address]

    async def reply(self, text: str, **kwargs: str) -> str:
        """The text of the replies to one message, joined; fails if there were none."""
        replies = await self.say(text, **kwargs)
        assert replies, f"no reply to {text!r}"
        return "\n".join(m.text for m in replies)
