"""The consent ledger (design rule 1): every opt-out and opt-in, per channel and address.

The ledger is append-only evidence of what each person asked for and when; the
`contacts.opted_out` flag mirrors its newest entry so the send path reads one column.
Both are written here and nowhere else, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Address
from bot.store import contacts as contact_store
from bot.store.tables import consent_events, contacts


class ConsentAction(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


class ConsentSource(StrEnum):
    KEYWORD = "keyword"  # the person sent STOP / START or an equivalent
    TELEGRAM_START = "telegram_start"
    PROVIDER = "provider"  # Twilio 21610, Telegram 403 "bot was blocked"
    ORGANIZER = "organizer"
    # The person's data was deleted on request: this row is all that is left of them,
    # so that nothing reaches the address again until they send START themselves.
    ERASURE = "erasure"


async def record(
    connection: AsyncConnection,
    address: Address,
    action: ConsentAction,
    source: ConsentSource,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Append to the ledger and update the contact's flag (creating the contact if new)."""
    await contact_store.touch(connection, address, now)
    await connection.execute(
        consent_events.insert().values(
            channel=address.channel.value,
            address=address.id,
            action=action.value,
            source=source.value,
            detail=detail[:64] if detail else None,
            created_at=now,
        )
    )
    await connection.execute(
        update(contacts)
        .where(contacts.c.channel == address.channel.value, contacts.c.address == address.id)
        .values(opted_out=action is ConsentAction.OPT_OUT)
    )


async def history(connection: AsyncConnection, address: Address) -> list[tuple[str, str, datetime]]:
    """(action, source, when) oldest first, for organizers and audits."""
    rows = await connection.execute(
        select(consent_events.c.action, consent_events.c.source, consent_events.c.created_at)
        .where(
            consent_events.c.channel == address.channel.value,
            consent_events.c.address == address.id,
        )
        .order_by(consent_events.c.id)
    )
    return [(row.action, row.source, row.created_at) for row in rows]
