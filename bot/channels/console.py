"""The terminal as a channel: what `python main.py chat` prints goes through the outbox too."""

from __future__ import annotations

from typing import TextIO

from bot.channels.base import OutcomeKind, SendOutcome
from bot.messages import ChannelName, OutboundMessage


class ConsoleChannel:
    name = ChannelName.CONSOLE

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    async def send(self, message: OutboundMessage) -> SendOutcome:
        lines = [message.text]
        lines.extend(f"  [{button.label}]" for button in message.buttons)
        self._stream.write("\n".join(lines) + "\n\n")
        self._stream.flush()
        return SendOutcome(OutcomeKind.SENT, provider_id=f"console-{message.id}")
