"""The few reads and the one write the console needs beyond `bot.broadcasts`.

Sending, cancelling and counting stay in `bot.broadcasts`, shared with the terminal and
Telegram; here are only what a web page adds: fetching one broadcast by an id typed into
the address bar, the history with each row's progress, and replacing an edited draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import broadcasts
from bot.broadcasts import BroadcastStatus, Draft, Progress
from bot.errors import BroadcastError
from bot.store.tables import broadcasts as broadcast_table

# Ids are 64-bit integers; anything larger is not an id but a typo or a probe.
MAX_ID = 2**63 - 1
HISTORY_LENGTH = 50


def parse_id(text: str) -> int | None:
    """The broadcast id in a URL, or None when it cannot be one."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


async def find(connection: AsyncConnection, broadcast_id: int) -> Any | None:
    query = select(broadcast_table).where(broadcast_table.c.id == broadcast_id)
    return (await connection.execute(query)).one_or_none()


def was_scheduled(row: Any) -> bool:
    """Whether the organizer chose a time (a draft "for now" is stored with its creation time)."""
    return bool(row.send_at > row.created_at)


@dataclass(frozen=True)
class HistoryItem:
    row: Any
    progress: Progress


async def history(connection: AsyncConnection, limit: int = HISTORY_LENGTH) -> list[HistoryItem]:
    """The newest broadcasts with where each stands (one indexed count per row)."""
    return [
        HistoryItem(row, await broadcasts.progress(connection, row.id))
        for row in await broadcasts.recent(connection, limit)
    ]


async def replace_draft(
    connection: AsyncConnection, broadcast_id: int, draft: Draft, now: datetime
) -> None:
    """Put the edited words, audience and time into the draft; refused once sent or dropped.

    The engine checks and stores the edit as a draft of its own (so its rules apply as on
    create), whose values the old draft then takes: the broadcast keeps its number.
    """
    edited_id = await broadcasts.create(connection, draft, now)
    edited = (
        await connection.execute(select(broadcast_table).where(broadcast_table.c.id == edited_id))
    ).one()
    await connection.execute(delete(broadcast_table).where(broadcast_table.c.id == edited_id))
    changed = await connection.execute(
        update(broadcast_table)
        .where(
            broadcast_table.c.id == broadcast_id,
            broadcast_table.c.status == BroadcastStatus.DRAFT.value,
        )
        .values(
            texts=edited.texts,
            audience=edited.audience,
            send_at=edited.send_at,
            created_at=edited.created_at,
            created_by=edited.created_by,
        )
    )
    if not changed.rowcount:
        row = await find(connection, broadcast_id)
        if row is None:
            raise BroadcastError(f"there is no broadcast {broadcast_id}")
        raise BroadcastError(f"broadcast {broadcast_id} is already {row.status}")
