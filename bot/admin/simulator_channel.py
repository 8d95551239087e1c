"""One simulated turn, through the same conversation, outbox and dispatcher as a parent's.

Exactly what `python main.py chat` does, with the browser in place of the terminal: the
turn stores its replies in the outbox already claimed, and the dispatcher hands them to
`SimulatorChannel` and records the outcome, so the outbox says "sent" for them like for
any delivered message. The channel renders nothing itself: the page reads the replies
back from the outbox, where `simulator_preview` shows what SMS and Telegram would make
of them, so a reload shows the same as the live answer. What it does give each reply is
a provider id naming the words it answered (`simulator-turn-<inbound_log id>-<outbox
id>`), which keeps a reloaded transcript in order even when the clock did not move
between turns.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channels.base import OutcomeKind, SendOutcome
from bot.messages import Address, ChannelName, InboundMessage, OutboundMessage
from bot.runtime import Runtime
from bot.store.tables import contacts, inbound_log

TURN_ID = re.compile(r"simulator-turn-(\d+)-\d+")


class SimulatorChannel:
    name = ChannelName.CONSOLE

    def __init__(self, turn: int | None) -> None:
        """`turn`: the inbound_log id of the words being answered (None: none were logged,
        as when the turn failed and only its apology went out)."""
        self._turn = turn

    async def send(self, message: OutboundMessage) -> SendOutcome:
        prefix = "simulator" if self._turn is None else f"simulator-turn-{self._turn}"
        return SendOutcome(OutcomeKind.SENT, provider_id=f"{prefix}-{message.id}")


def turn_of(provider_id: str | None) -> int | None:
    """The inbound_log id a reply answered, from the provider id `SimulatorChannel` gave it."""
    match = TURN_ID.fullmatch(provider_id or "")
    return int(match.group(1)) if match else None


async def take_turn(runtime: Runtime, address: Address, text: str, before: int) -> None:
    """Run one turn as `address` and deliver its replies; they are in the outbox after.

    `before` is the contact's newest inbound_log id before the turn: a newer one is the
    row this turn logged.
    """
    message = InboundMessage(address, text, runtime.clock())
    outgoing = await runtime.conversation.handle(message, claim=True)
    async with runtime.engine.connect() as connection:
        said = await last_said(connection, address)
    channel = SimulatorChannel(said if said > before else None)
    await runtime.dispatcher({ChannelName.CONSOLE: channel}).deliver(outgoing)


async def last_said(connection: AsyncConnection, address: Address) -> int:
    """The newest inbound_log id of the contact at `address`, 0 when there is none."""
    newest = await connection.scalar(
        select(func.max(inbound_log.c.id))
        .select_from(inbound_log.join(contacts, contacts.c.id == inbound_log.c.contact_id))
        .where(contacts.c.channel == address.channel.value, contacts.c.address == address.id)
    )
    return int(newest or 0)
