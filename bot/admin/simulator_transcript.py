"""The simulated conversation read back from the database, so a reload shows it all.

What the organizer wrote is in `inbound_log`, what the bot answered in the outbox; there
is nothing else to keep. A delivered reply names the words it answered in its provider
id (`simulator_channel`), so it goes right after them; any other reply (one not sent,
because the contact opted out) goes by time, which a turn reads once for its words and
its replies alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.simulator_channel import last_said, turn_of
from bot.admin.simulator_preview import Preview, Previewer
from bot.messages import Address, Button
from bot.store.tables import contacts, inbound_log, outbox

# A simulated chat is a few dozen messages; a page never holds more than this of each.
LIMIT = 200


@dataclass(frozen=True)
class Said:
    id: int
    text: str


@dataclass(frozen=True)
class Answer:
    id: int
    text: str
    locale: str
    buttons: tuple[Button, ...]
    status: str
    preview: Preview


@dataclass
class Turn:
    """What was written and what it got; `said` is None for answers with no words logged
    before them (the apology of a turn that failed)."""

    said: Said | None
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class Transcript:
    turns: list[Turn]
    earlier: bool  # older messages exist and are not shown


@dataclass(frozen=True)
class Marks:
    """The newest rows before a turn: what comes after them is that turn's."""

    said: int = 0
    answered: int = 0


def _contact_id(address: Address) -> Any:
    return (
        select(contacts.c.id)
        .where(contacts.c.channel == address.channel.value, contacts.c.address == address.id)
        .scalar_subquery()
    )


async def marks(connection: AsyncConnection, address: Address) -> Marks:
    said = await last_said(connection, address)
    answered = await connection.scalar(
        select(func.max(outbox.c.id)).where(
            outbox.c.channel == address.channel.value, outbox.c.address == address.id
        )
    )
    return Marks(said, answered or 0)


async def load(
    connection: AsyncConnection, address: Address, previewer: Previewer, after: Marks = Marks()
) -> Transcript:
    """The conversation after `after` (all of it by default), oldest turn first."""
    said_rows = (
        await connection.execute(
            select(inbound_log.c.id, inbound_log.c.text, inbound_log.c.created_at)
            .where(inbound_log.c.contact_id == _contact_id(address), inbound_log.c.id > after.said)
            .order_by(inbound_log.c.id.desc())
            .limit(LIMIT + 1)
        )
    ).all()
    answer_rows = (
        await connection.execute(
            select(
                outbox.c.id,
                outbox.c.body,
                outbox.c.locale,
                outbox.c.buttons,
                outbox.c.status,
                outbox.c.provider_id,
                outbox.c.created_at,
            )
            .where(
                outbox.c.channel == address.channel.value,
                outbox.c.address == address.id,
                outbox.c.id > after.answered,
            )
            .order_by(outbox.c.id.desc())
            .limit(LIMIT + 1)
        )
    ).all()
    # When one list was cut short, the other is cut at the same moment.
    cutoff = max(
        (rows[LIMIT - 1].created_at for rows in (said_rows, answer_rows) if len(rows) > LIMIT),
        default=None,
    )
    said_rows, answer_rows = said_rows[:LIMIT], answer_rows[:LIMIT]
    said_at = {row.id: row.created_at for row in said_rows}
    # (time, 0 = a turn's words and its delivered answers / 1 = other answers, id, id)
    events: list[tuple[tuple[datetime, int, int, int], Said | Answer]] = [
        ((row.created_at, 0, row.id, 0), Said(row.id, row.text)) for row in said_rows
    ]
    for row in answer_rows:
        turn = turn_of(row.provider_id)
        if turn is not None and turn in said_at:
            key = (said_at[turn], 0, turn, row.id)
        else:
            key = (row.created_at, 1, row.id, 0)
        events.append((key, _answer(row, previewer)))
    events.sort(key=lambda event: event[0])
    turns: list[Turn] = []
    for (created_at, *_), item in events:
        if cutoff is not None and created_at < cutoff:
            continue
        if isinstance(item, Said):
            turns.append(Turn(item))
        elif turns:
            turns[-1].answers.append(item)
        else:
            turns.append(Turn(None, [item]))
    return Transcript(turns, earlier=cutoff is not None)


def _answer(row: Any, previewer: Previewer) -> Answer:
    buttons = tuple(Button(str(label), str(payload)) for label, payload in row.buttons)
    return Answer(
        id=row.id,
        text=row.body,
        locale=row.locale,
        buttons=buttons,
        status=row.status,
        preview=previewer(row.body, row.locale, buttons),
    )
